package api

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/platform"
	"github.com/scf-emulator/emulator/registry"
)

// The fake's side of creating, changing and deleting functions, triggers
// and the log store. Code written by a FillFunc is read into memory (files)
// and the folder removed, so the fake needs no directory of its own.

// fill runs fill in a scratch folder and returns the files it wrote, with
// "x " prefixed to the content of executable files.
func runFill(fill registry.FillFunc) (map[string]string, error) {
	dir, err := os.MkdirTemp("", "api-fake-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := fill(dir); err != nil {
		return nil, err
	}
	files := map[string]string{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o100 != 0 {
			b = append([]byte("x "), b...)
		}
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	return files, err
}

func (b *fakeBackend) Create(_ context.Context, spec registry.FunctionSpec, fill registry.FillFunc) error {
	if err := b.fail["Create"]; err != nil {
		return err
	}
	files, err := runFill(fill)
	if err != nil {
		return fmt.Errorf("create %s: %w", spec.Name, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.functions[spec.Name]; ok {
		return fmt.Errorf("%w: %s", registry.ErrFunctionExists, spec.Name)
	}
	b.add(spec.Name, spec.Config, t0.Add(10*time.Hour))
	b.functions[spec.Name].fn.Source = "/managed/" + spec.Name
	b.code[spec.Name] = files
	return nil
}

func (b *fakeBackend) UpdateCode(_ context.Context, name string, fill registry.FillFunc, handler string) (registry.Refresh, error) {
	b.mu.Lock()
	f, err := b.lookup(name)
	if err == nil && !strings.HasPrefix(f.fn.Source, "/managed/") {
		err = fmt.Errorf("%w: function %s takes its code from %s", registry.ErrSourceNotManaged, name, f.fn.Source)
	}
	b.mu.Unlock()
	if err != nil {
		return registry.Refresh{}, err
	}
	files, err := runFill(fill)
	if err != nil {
		return registry.Refresh{}, fmt.Errorf("update code of %s: %w", name, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	prev := f.fn.Latest
	if handler != "" {
		f.fn.Config.Handler = handler
		f.fn.Latest.Config.Handler = handler
	}
	f.fn.Latest.CodeHash = fmt.Sprintf("code-%d", len(files))
	b.code[name] = files
	return registry.Refresh{Latest: f.fn.Latest, Previous: prev, Changed: true}, nil
}

func (b *fakeBackend) UpdateConfig(_ context.Context, name string, cfg registry.FunctionConfig) (registry.Function, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return registry.Function{}, err
	}
	f.fn.Config = cfg
	f.fn.Latest.Config = cfg
	return f.fn, nil
}

func (b *fakeBackend) Delete(_ context.Context, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.lookup(name); err != nil {
		return err
	}
	delete(b.functions, name)
	delete(b.code, name)
	delete(b.triggers, name)
	return nil
}

func (b *fakeBackend) UpdateTrigger(name string, t registry.Trigger) (registry.Trigger, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.lookup(name); err != nil {
		return registry.Trigger{}, err
	}
	for i, o := range b.triggers[name] {
		if o.Name == t.Name && o.Type == t.Type {
			t.Function, t.AddTime, t.ModTime = name, o.AddTime, o.AddTime.Add(time.Minute)
			b.triggers[name][i] = t
			return t, nil
		}
	}
	return registry.Trigger{}, fmt.Errorf("%w: %s", registry.ErrTriggerNotFound, t.Name)
}

func (b *fakeBackend) CreateTrigger(name string, t registry.Trigger) (registry.Trigger, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := b.lookup(name)
	if err != nil {
		return registry.Trigger{}, err
	}
	if _, ok := f.aliases[t.Qualifier]; !ok {
		if platform.IsAliasName(t.Qualifier) {
			return registry.Trigger{}, fmt.Errorf("%w: %s", registry.ErrAliasNotFound, t.Qualifier)
		}
		if _, err := f.version(t.Qualifier); err != nil {
			return registry.Trigger{}, err
		}
	}
	for _, o := range b.triggers[name] {
		if o.Name == t.Name {
			return registry.Trigger{}, fmt.Errorf("%w: %s", registry.ErrTriggerExists, t.Name)
		}
	}
	for fn, ts := range b.triggers {
		for _, o := range ts {
			if o.Service == t.Service && o.Stage == t.Stage && o.Path == t.Path {
				return registry.Trigger{}, fmt.Errorf("%w: trigger %s of %s", registry.ErrTriggerConflict, o.Name, fn)
			}
		}
	}
	t.Function = name
	t.AddTime = t0.Add(time.Duration(len(b.triggers[name])+20) * time.Hour)
	t.ModTime = t.AddTime
	b.triggers[name] = append(b.triggers[name], t)
	return t, nil
}

func (b *fakeBackend) Triggers(name string) ([]registry.Trigger, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.lookup(name); err != nil {
		return nil, err
	}
	return slices.Clone(b.triggers[name]), nil
}

func (b *fakeBackend) DeleteTrigger(name, trigger string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.lookup(name); err != nil {
		return err
	}
	ts := b.triggers[name]
	i := slices.IndexFunc(ts, func(t registry.Trigger) bool { return t.Name == trigger })
	if i < 0 {
		return fmt.Errorf("%w: %s", registry.ErrTriggerNotFound, trigger)
	}
	b.triggers[name] = slices.Delete(ts, i, i+1)
	return nil
}

// FunctionLogs returns every stored entry: the server must apply q itself.
func (b *fakeBackend) FunctionLogs(_ context.Context, q LogQuery) ([]LogEntry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.logQueries = append(b.logQueries, q)
	if err := b.fail["FunctionLogs"]; err != nil {
		return nil, err
	}
	return slices.Clone(b.logs), nil
}

func (b *fakeBackend) codeOf(name string) map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.code[name])
}
