package runtime

import (
	"context"
	"errors"
	"testing"
)

// serveAllocBudget is what Manager.Serve may allocate for a warm web
// request with no reserved concurrency: the invocation's timeout context.
// It was 9 with context.WithTimeout and the pool key built per request.
const serveAllocBudget = 1

func TestServeAllocationBudget(t *testing.T) {
	rt := &fakeRuntime{}
	m := NewManager(rt, Options{})
	defer mustClose(t, m)
	spec := testSpec("web")
	spec.Type, spec.TimeoutSec = "http", 3
	fn := func(ctx context.Context, addr string) error {
		if _, ok := ctx.Deadline(); !ok || ctx.Err() != nil {
			return errors.New("the call has no deadline, or ended already")
		}
		return nil
	}
	if _, err := m.Serve(t.Context(), spec, fn); err != nil {
		t.Fatal(err)
	}
	var err error
	n := testing.AllocsPerRun(200, func() {
		_, err = m.Serve(t.Context(), spec, fn)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n > serveAllocBudget {
		t.Errorf("a warm Serve allocates %.0f times, over the budget of %d", n, serveAllocBudget)
	}
}
