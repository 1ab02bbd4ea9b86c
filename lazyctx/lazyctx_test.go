package lazyctx

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

type ctxKey struct{}

// TestWithTimeout: the context behaves as context.WithTimeout would,
// whether or not Done was asked for before it ended.
func TestWithTimeout(t *testing.T) {
	for _, tc := range []struct {
		name      string
		askDone   bool // Done asked for before the end
		end       func(parentCancel context.CancelFunc, c *Ctx)
		wantErr   error
		wantEnded bool
	}{
		{"deadline passes, Done asked first", true, func(context.CancelFunc, *Ctx) { time.Sleep(2 * time.Second) }, context.DeadlineExceeded, true},
		{"deadline passes, Done asked after", false, func(context.CancelFunc, *Ctx) { time.Sleep(2 * time.Second) }, context.DeadlineExceeded, true},
		{"parent cancelled, Done asked first", true, func(cancel context.CancelFunc, _ *Ctx) { cancel() }, context.Canceled, true},
		{"parent cancelled, Done asked after", false, func(cancel context.CancelFunc, _ *Ctx) { cancel() }, context.Canceled, true},
		{"cancelled, Done asked first", true, func(_ context.CancelFunc, c *Ctx) { c.Cancel() }, context.Canceled, true},
		{"cancelled, Done asked after", false, func(_ context.CancelFunc, c *Ctx) { c.Cancel() }, context.Canceled, true},
		{"deadline passes, then cancelled, Done asked first", true, func(_ context.CancelFunc, c *Ctx) { time.Sleep(2 * time.Second); c.Cancel() }, context.DeadlineExceeded, true},
		{"deadline passes, then cancelled, Done asked after", false, func(_ context.CancelFunc, c *Ctx) { time.Sleep(2 * time.Second); c.Cancel() }, context.DeadlineExceeded, true},
		{"still running", false, func(context.CancelFunc, *Ctx) { time.Sleep(500 * time.Millisecond) }, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				parent, cancel := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "v"))
				defer cancel()
				c := WithTimeout(parent, time.Second)
				defer c.Cancel()
				if d, ok := c.Deadline(); !ok || !d.Equal(time.Now().Add(time.Second)) {
					t.Errorf("Deadline = %v, %v; want a second from now", d, ok)
				}
				if c.Value(ctxKey{}) != "v" {
					t.Error("the parent's value is lost")
				}
				if tc.askDone {
					_ = c.Done()
				}
				tc.end(cancel, c)
				synctest.Wait()
				if err := c.Err(); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
					t.Errorf("Err = %v, want %v", err, tc.wantErr)
				}
				select {
				case <-c.Done():
					if !tc.wantEnded {
						t.Error("Done closed while the context runs")
					}
				default:
					if tc.wantEnded {
						t.Error("Done open after the context ended")
					}
				}
				// A child registers with it and ends with it.
				child, stop := context.WithCancel(c)
				defer stop()
				c.Cancel()
				synctest.Wait()
				if child.Err() == nil {
					t.Error("a child outlived the context")
				}
				if c.Value(ctxKey{}) != "v" {
					t.Error("the parent's value is lost once Done was made")
				}
			})
		})
	}
}

// TestWithCancel: without a deadline, the context ends with its parent or
// Cancel, and has the parent's deadline.
func TestWithCancel(t *testing.T) {
	parent, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	c := WithCancel(parent)
	if d, ok := c.Deadline(); !ok || d != func() time.Time { d, _ := parent.Deadline(); return d }() {
		t.Errorf("Deadline = %v, %v; want the parent's", d, ok)
	}
	if c.Err() != nil {
		t.Fatalf("Err = %v before any end", c.Err())
	}
	cancel()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("Err = %v after the parent's end, want Canceled", c.Err())
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after the parent's end")
	}
	c2 := WithCancel(t.Context())
	done := c2.Done()
	c2.Cancel()
	<-done
	if !errors.Is(c2.Err(), context.Canceled) {
		t.Errorf("Err = %v after Cancel, want Canceled", c2.Err())
	}
}
