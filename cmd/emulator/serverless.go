package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/scf-emulator/emulator/atomicfile"
	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/watch"
)

// serverlessStart is chooseStart's choice in a folder without emulator.yaml:
// its Serverless Framework projects (serverless.yml at the root or one
// folder down), else an empty emulator.
func serverlessStart(dir string) (startPoint, error) {
	files, err := config.ServerlessFiles(dir)
	if err != nil {
		return startPoint{}, err
	}
	switch {
	case len(files) == 0:
		return startPoint{}, nil
	case len(files) == 1 && filepath.Dir(files[0]) == dir:
		return startPoint{path: files[0]}, nil // one project at the root
	}
	return startPoint{path: dir}, nil
}

// configDir is the folder a config lives in: the folder itself for a
// Serverless Framework folder.
func configDir(path string) string {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return path
	}
	return filepath.Dir(path)
}

// readConfigFiles reads what the reconciler compares: the file, or every
// serverless.yml of a project (the running ones and any new one), so an
// edit of any of them is a change.
func readConfigFiles(path string, running *config.File) ([]byte, error) {
	if !config.IsServerless(path) {
		return os.ReadFile(path)
	}
	files := []string{path}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		files, _ = config.ServerlessFiles(path)
	}
	var buf bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		fmt.Fprintf(&buf, "# %s\n", f)
		buf.Write(data)
	}
	return buf.Bytes(), nil
}

// parseConfigFile parses an emulator.yaml's bytes, or loads the
// serverless.yml project at path again.
func parseConfigFile(path string, data []byte) (*config.File, error) {
	if config.IsServerless(path) {
		return config.Load(path)
	}
	return config.Parse(path, data)
}

// serverlessWatch watches every serverless.yml of a project; changes of any
// reload the whole project, one reload at a time.
type serverlessWatch struct {
	mu sync.Mutex // serialises reloads started by different files' watchers
	ws []*watch.FileWatcher
}

func (a *App) watchServerless() error {
	sw := &serverlessWatch{}
	reload := func(ctx context.Context) error {
		sw.mu.Lock()
		defer sw.mu.Unlock()
		return a.live.rec.Reload(ctx)
	}
	files := a.file.Sources
	if len(files) == 0 {
		files = []string{a.configPath()}
	}
	for _, f := range files {
		w, err := watch.NewFile(f, reload, watch.Options{Logger: a.cfg.Logger.With("component", "watch")})
		if err != nil {
			_ = sw.Close()
			return fmt.Errorf("watch config: %w", err)
		}
		sw.ws = append(sw.ws, w)
	}
	a.live.watch = sw
	return nil
}

// Run runs every file's watcher until ctx ends.
func (sw *serverlessWatch) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, w := range sw.ws {
		wg.Go(func() { _ = w.Run(ctx) })
	}
	wg.Wait()
	return nil
}

func (sw *serverlessWatch) Close() error {
	var errs []error
	for _, w := range sw.ws {
		errs = append(errs, w.Close())
	}
	return errors.Join(errs...)
}

// cmdImport writes the emulator.yaml equivalent of a serverless.yml project.
func cmdImport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	out := fs.String("o", "", "file to write (default emulator.yaml beside the project; - for standard output)")
	force := fs.Bool("force", false, "overwrite an existing file")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if err := needArgs("import", pos, 0, 1, "[serverless.yml|FOLDER] [-o emulator.yaml]"); err != nil {
		return usageError{err}
	}
	src := "."
	if len(pos) == 1 {
		src = pos[0]
	}
	if _, err := os.Stat(src); err != nil {
		return usageError{fmt.Errorf("import %s: %w", src, err)}
	}
	dest := *out
	if dest == "" {
		dest = filepath.Join(configDir(src), defaultConfigFile)
	}
	outDir := filepath.Dir(dest)
	if dest == "-" {
		outDir = "."
	}
	data, warnings, err := config.ServerlessYAML(src, outDir)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "%s %s\n", yellow("warning:"), w)
	}
	if dest == "-" {
		_, err := stdout.Write(data)
		return err
	}
	if _, err := os.Stat(dest); err == nil && !*force {
		return fmt.Errorf("import: %s exists; give -o another file or --force", dest)
	}
	if err := atomicfile.WriteFile(filepath.Dir(dest), filepath.Base(dest), data); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d warnings above); next: emulator up -f %s\n", dest, len(warnings), dest)
	return nil
}
