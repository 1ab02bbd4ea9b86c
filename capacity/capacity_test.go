package capacity

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
)

// fakeRunner records what the store asked for.
type fakeRunner struct {
	mu          sync.Mutex // guards the maps
	provisioned map[string]int
	reserved    map[string]int
}

func (f *fakeRunner) Provision(_ context.Context, spec runtime.Spec, n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.provisioned == nil {
		f.provisioned = map[string]int{}
	}
	f.provisioned[spec.Function+"@"+spec.Version] = n
	return nil
}

func (f *fakeRunner) SetReserved(_, function string, mb int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reserved == nil {
		f.reserved = map[string]int{}
	}
	f.reserved[function] = mb
}

// fakeSpecs knows the versions in published.
type fakeSpecs struct{ published map[string]bool }

func (f fakeSpecs) Spec(function, version string) (runtime.Spec, error) {
	if !f.published[version] {
		return runtime.Spec{}, registry.ErrVersionNotFound
	}
	ns, name := registry.SplitKey(function)
	return runtime.Spec{Namespace: ns, Function: name, Version: version}, nil
}

func TestStoreRestoresAndFollows(t *testing.T) {
	dir := t.TempDir()
	fn := registry.Key("", "f")
	run := &fakeRunner{}
	specs := fakeSpecs{published: map[string]bool{"1": true}}
	st, err := Open(t.Context(), dir, run, specs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Seed(fn, map[string]int{"1": 2, "2": 3}); err != nil {
		t.Fatal(err)
	}
	st.Apply()
	if want := map[string]int{"f@1": 2}; !maps.Equal(run.provisioned, want) {
		t.Errorf("applied %v, want %v (version 2 is not published yet)", run.provisioned, want)
	}
	must(t, st.SetReserved(fn, 512))
	must(t, st.SetProvisioned(fn, "1", 1))

	specs.published["2"] = true
	st.OnChange(registry.Change{Kind: registry.ChangePublished, Function: fn, Version: "2"})
	if run.provisioned["f@2"] != 3 {
		t.Errorf("after publishing 2: %v, want f@2 = 3", run.provisioned)
	}

	// A second start: the API's value wins over the config's seed.
	run2 := &fakeRunner{}
	st2, err := Open(t.Context(), dir, run2, specs, nil)
	if err != nil {
		t.Fatal(err)
	}
	must(t, st2.Seed(fn, map[string]int{"1": 2, "2": 3}))
	st2.Apply()
	if want := map[string]int{"f@1": 1, "f@2": 3}; !maps.Equal(run2.provisioned, want) {
		t.Errorf("restored %v, want %v", run2.provisioned, want)
	}
	if run2.reserved["f"] != 512 {
		t.Errorf("restored reserved %v, want f = 512", run2.reserved)
	}

	st2.OnChange(registry.Change{Kind: registry.ChangeFunctionDeleted, Function: fn})
	if got := st2.Provisioned(fn); len(got) != 0 {
		t.Errorf("after delete: %v, want none", got)
	}
	if _, ok := st2.Reserved(fn); ok || run2.reserved["f"] != -1 {
		t.Errorf("reserved after delete: runner %v, want the cap removed", run2.reserved)
	}
}

func TestStoreBadFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), dir, &fakeRunner{}, fakeSpecs{}, nil); err == nil {
		t.Fatal("Open of a broken capacity.json succeeded")
	}
}

func TestStoreWriteFailureChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	run := &fakeRunner{}
	st, err := Open(t.Context(), dir, run, fakeSpecs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A file where the state folder should be: every save fails.
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := st.SetReserved("default/f", 128); err == nil {
		t.Fatal("SetReserved succeeded without a state folder")
	}
	if _, ok := st.Reserved("default/f"); ok || len(run.reserved) != 0 {
		t.Errorf("a failed save changed the setting: runner %v", run.reserved)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
