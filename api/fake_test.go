package api

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/scf-emulator/emulator/platform"
	"github.com/scf-emulator/emulator/registry"
)

// t0 is the fake's clock; local time, so formatted times are TZ-independent.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)

// fakeBackend is an in-memory Backend with just enough registry rules to
// return each sentinel error the server maps.
type fakeBackend struct {
	mu        sync.Mutex // guards every field below
	functions map[string]*fakeFunction
	invokes   []InvokeRequest
	fail      map[string]error // method name -> error to return, for error paths
	// run answers Invoke once the qualifier is resolved; nil echoes the event.
	run        func(req InvokeRequest, version string) (InvokeResult, error)
	code       map[string]map[string]string // function -> files of $LATEST, for created functions
	triggers   map[string][]registry.Trigger
	logs       []LogEntry // what FunctionLogs answers
	logQueries []LogQuery // what FunctionLogs was asked
}

type fakeFunction struct {
	fn       registry.Function
	versions []registry.Version // published, oldest first
	next     int                // next version number; numbers are never reused
	aliases  map[string]registry.Alias
}

var _ Backend = (*fakeBackend)(nil)

// newFake returns a world with two functions:
//   - hello: event function, versions 1 and 2, aliases $DEFAULT -> $LATEST and
//     release -> 1 with 30% to 2 and a rule sending User=Bob to 2;
//   - web: web function, no versions, only $DEFAULT.
func newFake() *fakeBackend {
	b := &fakeBackend{functions: map[string]*fakeFunction{}, fail: map[string]error{},
		code: map[string]map[string]string{}, triggers: map[string][]registry.Trigger{}}
	hello := registry.FunctionConfig{
		Runtime: "Python3.9", Type: registry.TypeEvent, Handler: "index.main_handler",
		MemorySize: 128, Timeout: 3, Environment: map[string]string{"GREETING": "hello", "A": "b"}, Description: "greets",
	}
	b.add("hello", hello, t0)
	b.add("web", registry.FunctionConfig{Runtime: "CustomRuntime", Type: registry.TypeHTTP, Handler: "scf_bootstrap", MemorySize: 256, Timeout: 10}, t0.Add(time.Hour))
	// Publishing an existing function cannot fail in the fake.
	_, _ = b.Publish(context.Background(), "hello", "first")
	_, _ = b.Publish(context.Background(), "hello", "second")
	b.functions["hello"].aliases["release"] = registry.Alias{
		Name: "release", FunctionVersion: "1", Description: "prod",
		Weights: []registry.VersionWeight{{Version: "2", Weight: 0.3}},
		Matches: []registry.VersionMatch{{Version: "2", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"}},
		AddTime: t0.Add(3 * time.Hour), ModTime: t0.Add(4 * time.Hour),
	}
	return b
}

func (b *fakeBackend) add(name string, cfg registry.FunctionConfig, at time.Time) {
	b.functions[name] = &fakeFunction{
		fn: registry.Function{
			Name: name, Namespace: registry.DefaultNamespace, Config: cfg, AddTime: at, ModTime: at.Add(time.Minute),
			Latest: registry.Version{Function: name, Version: registry.Latest, Config: cfg, CodeSize: 2048, AddTime: at, ModTime: at.Add(time.Minute)},
		},
		next:    1,
		aliases: map[string]registry.Alias{registry.Default: {Name: registry.Default, FunctionVersion: registry.Latest, AddTime: at, ModTime: at}},
	}
}

func (b *fakeBackend) lookup(name string) (*fakeFunction, error) {
	f, ok := b.functions[name]
	if !ok {
		return nil, fmt.Errorf("function %s: %w", name, registry.ErrFunctionNotFound)
	}
	return f, nil
}

func (f *fakeFunction) version(v string) (registry.Version, error) {
	if v == registry.Latest {
		return f.fn.Latest, nil
	}
	if _, err := strconv.Atoi(v); err != nil {
		return registry.Version{}, fmt.Errorf("qualifier %q: %w", v, registry.ErrInvalidQualifier)
	}
	for _, pv := range f.versions {
		if pv.Version == v {
			return pv, nil
		}
	}
	return registry.Version{}, fmt.Errorf("version %s of %s: %w", v, f.fn.Name, registry.ErrVersionNotFound)
}

func (b *fakeBackend) Functions() []registry.Function {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []registry.Function
	for _, f := range b.functions {
		out = append(out, f.fn)
	}
	return out
}

func (b *fakeBackend) Function(name string) (registry.Function, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return registry.Function{}, err
	}
	return f.fn, nil
}

func (b *fakeBackend) Publish(_ context.Context, name, description string) (registry.Version, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.fail["Publish"]; err != nil {
		return registry.Version{}, err
	}
	f, err := b.lookup(name)
	if err != nil {
		return registry.Version{}, err
	}
	v := f.fn.Latest
	v.Version = strconv.Itoa(f.next)
	v.Description = description
	v.AddTime = t0.Add(time.Duration(f.next) * time.Hour)
	v.ModTime = v.AddTime
	f.next++
	f.versions = append(f.versions, v)
	return v, nil
}

// Versions includes $LATEST first, to check the server does not list it twice.
func (b *fakeBackend) Versions(name string) ([]registry.Version, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return nil, err
	}
	return append([]registry.Version{f.fn.Latest}, f.versions...), nil
}

func (b *fakeBackend) Version(name, version string) (registry.Version, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return registry.Version{}, err
	}
	return f.version(version)
}

func (b *fakeBackend) DeleteVersion(name, version string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return err
	}
	if version == registry.Latest {
		return fmt.Errorf("$LATEST cannot be deleted: %w", registry.ErrInvalidQualifier)
	}
	if _, err := f.version(version); err != nil {
		return err
	}
	for _, a := range f.aliases {
		if usesVersion(a, version) {
			return fmt.Errorf("version %s is used by alias %s: %w", version, a.Name, registry.ErrAliasBind)
		}
	}
	f.versions = slices.DeleteFunc(f.versions, func(v registry.Version) bool { return v.Version == version })
	return nil
}

func usesVersion(a registry.Alias, version string) bool {
	if a.FunctionVersion == version {
		return true
	}
	for _, w := range a.Weights {
		if w.Version == version {
			return true
		}
	}
	for _, m := range a.Matches {
		if m.Version == version {
			return true
		}
	}
	return false
}

func (f *fakeFunction) validate(a registry.Alias) error {
	if _, err := f.version(a.FunctionVersion); err != nil {
		return err
	}
	for _, w := range a.Weights {
		if w.Weight < 0 || w.Weight > 1 {
			return fmt.Errorf("weight %v for version %s is outside 0..1: %w", w.Weight, w.Version, registry.ErrInvalidRouting)
		}
		if _, err := f.version(w.Version); err != nil {
			return err
		}
	}
	for _, m := range a.Matches {
		if m.Method != "exact" && m.Method != "range" {
			return fmt.Errorf("method %q is neither exact nor range: %w", m.Method, registry.ErrInvalidRouting)
		}
	}
	return nil
}

func (b *fakeBackend) CreateAlias(name string, a registry.Alias) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return err
	}
	if _, ok := f.aliases[a.Name]; ok {
		return fmt.Errorf("alias %s: %w", a.Name, registry.ErrAliasExists)
	}
	if !platform.IsAliasName(a.Name) {
		return fmt.Errorf("alias name %q: %w", a.Name, registry.ErrInvalidAliasName)
	}
	if err := f.validate(a); err != nil {
		return err
	}
	a.AddTime, a.ModTime = t0.Add(5*time.Hour), t0.Add(5*time.Hour)
	f.aliases[a.Name] = a
	return nil
}

func (b *fakeBackend) UpdateAlias(name string, a registry.Alias) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return err
	}
	old, ok := f.aliases[a.Name]
	if !ok {
		return fmt.Errorf("alias %s: %w", a.Name, registry.ErrAliasNotFound)
	}
	if err := f.validate(a); err != nil {
		return err
	}
	a.AddTime, a.ModTime = old.AddTime, t0.Add(6*time.Hour)
	f.aliases[a.Name] = a
	return nil
}

func (b *fakeBackend) Alias(name, alias string) (registry.Alias, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return registry.Alias{}, err
	}
	a, ok := f.aliases[alias]
	if !ok {
		return registry.Alias{}, fmt.Errorf("alias %s of %s: %w", alias, name, registry.ErrAliasNotFound)
	}
	return a, nil
}

func (b *fakeBackend) Aliases(name, version string) ([]registry.Alias, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return nil, err
	}
	if version != "" {
		if _, err := f.version(version); err != nil {
			return nil, err
		}
	}
	var out []registry.Alias
	for _, a := range f.aliases {
		if version == "" || usesVersion(a, version) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (b *fakeBackend) DeleteAlias(name, alias string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return err
	}
	if alias == registry.Default {
		return registry.ErrDefaultAlias
	}
	if _, ok := f.aliases[alias]; !ok {
		return fmt.Errorf("alias %s of %s: %w", alias, name, registry.ErrAliasNotFound)
	}
	delete(f.aliases, alias)
	return nil
}

func (b *fakeBackend) Invoke(_ context.Context, req InvokeRequest) (InvokeResult, error) {
	b.mu.Lock()
	b.invokes = append(b.invokes, req)
	f, err := b.lookup(req.Function)
	if err != nil {
		b.mu.Unlock()
		return InvokeResult{}, err
	}
	if f.fn.Config.Type == registry.TypeHTTP {
		b.mu.Unlock()
		return InvokeResult{}, fmt.Errorf("invoke %s: %w", req.Function, registry.ErrFunctionType)
	}
	version := req.Qualifier
	a, isAlias := f.aliases[req.Qualifier]
	switch {
	case isAlias:
		version = a.FunctionVersion
		if req.RoutingKey["User"] == "Bob" && len(a.Matches) > 0 {
			version = a.Matches[0].Version
		}
	case req.Qualifier == registry.Latest || isDigits(req.Qualifier):
		_, err = f.version(req.Qualifier)
	case platform.IsAliasName(req.Qualifier):
		err = fmt.Errorf("alias %s: %w", req.Qualifier, registry.ErrAliasNotFound)
	default:
		err = fmt.Errorf("qualifier %q: %w", req.Qualifier, registry.ErrInvalidQualifier)
	}
	if err != nil {
		b.mu.Unlock()
		return InvokeResult{}, err
	}
	run := b.run
	b.mu.Unlock()
	if run != nil {
		return run(req, version)
	}
	if req.Async {
		return InvokeResult{RequestID: "req-async", Version: version}, nil
	}
	return InvokeResult{
		RequestID: "req-1",
		Version:   version,
		Payload:   []byte(`{"version":"` + version + `","event":` + string(req.Event) + `}`),
		Log:       "START RequestId:req-1\nhello\nEND RequestId:req-1\n",
		Duration:  1500 * time.Microsecond,
		MemUsage:  1 << 20,
	}, nil
}

func isDigits(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func (b *fakeBackend) lastInvoke() InvokeRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.invokes) == 0 {
		return InvokeRequest{}
	}
	return b.invokes[len(b.invokes)-1]
}
