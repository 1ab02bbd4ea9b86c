package dashboard

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// t0 is the fake's fixed clock: every time in the answers derives from it.
var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// fakeSource is a hand-written Source over in-memory functions.
type fakeSource struct {
	mu      sync.Mutex // guards everything below
	fns     []Function
	vers    map[string][]Version
	aliases map[string][]Alias
	stats   map[string][]VersionStats
	points  map[string][]Point
	calls   map[string]int // method -> calls, to check the overview's cost
	failAll error          // returned by every erroring method when set
}

func newFake() *fakeSource {
	return &fakeSource{
		vers: map[string][]Version{}, aliases: map[string][]Alias{}, stats: map[string][]VersionStats{},
		points: map[string][]Point{}, calls: map[string]int{},
	}
}

// addFunction adds a function with n published versions and the $DEFAULT
// and release aliases, release split 90/10 between the last two versions.
func (f *fakeSource) addFunction(name string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fns = append(f.fns, Function{Name: name, Runtime: "Python3.9", Type: "event", MemorySize: 128, Timeout: 3, CodeHash: "abc", ModTime: t0})
	for i := 1; i <= n; i++ {
		f.vers[name] = append(f.vers[name], Version{Version: strconv.Itoa(i), CodeHash: fmt.Sprintf("%064d", i), CodeSize: 100, AddTime: t0})
	}
	as := []Alias{{Name: "$DEFAULT", FunctionVersion: "$LATEST", ModTime: t0}}
	if n >= 2 {
		as = append(as, Alias{Name: "release", FunctionVersion: strconv.Itoa(n - 1),
			Weights: []VersionWeight{{Version: strconv.Itoa(n), Weight: 0.1}}, ModTime: t0})
	}
	f.aliases[name] = as
}

func (f *fakeSource) count(m string) {
	f.calls[m]++
}

func (f *fakeSource) find(name string) (Function, bool) {
	for _, fn := range f.fns {
		if fn.Name == name {
			return fn, true
		}
	}
	return Function{}, false
}

func (f *fakeSource) Functions() []Function {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Functions")
	return append([]Function(nil), f.fns...)
}

func (f *fakeSource) Function(name string) (Function, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Function")
	if f.failAll != nil {
		return Function{}, f.failAll
	}
	fn, ok := f.find(name)
	if !ok {
		return Function{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return fn, nil
}

func (f *fakeSource) Versions(name string) ([]Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Versions")
	if _, ok := f.find(name); !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return append([]Version(nil), f.vers[name]...), nil
}

func (f *fakeSource) Aliases(name string) ([]Alias, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Aliases")
	if _, ok := f.find(name); !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return append([]Alias(nil), f.aliases[name]...), nil
}

func (f *fakeSource) Stats(name string, _ time.Duration) []VersionStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Stats")
	return append([]VersionStats(nil), f.stats[name]...)
}

func (f *fakeSource) Series(name string, _, _ time.Duration) []Point {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Series")
	return append([]Point(nil), f.points[name]...)
}
