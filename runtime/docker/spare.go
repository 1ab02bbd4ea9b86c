package docker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
)

// A spare is a started container of a function that waits, in a shell
// blocked on a FIFO, for code it has not got yet. Creating and starting a
// container is most of a cold start of an interpreted runtime (about 250 ms
// of the daemon's time here), so the next Start of the same function (a hot
// reload of $LATEST, a newly published version) takes the spare: its code is
// hard-linked into the spare's code folder, the environment and command are
// written beside it, and the FIFO tells the shell to exec the bootstrap.
// Only the embedded bootstraps of Python, Node.js and PHP on a local engine
// use spares, without layers or a debugger: their command is known without
// the code, and the shell comes with their images.
const (
	// containerSpareDir holds the spare's FIFO and run script, read-only.
	containerSpareDir = "/var/scf-spare"
	// maxSpares bounds the idle spare containers of a runtime.
	maxSpares = 8
	// spareGoTimeout bounds the wait for a spare's shell to open its FIFO.
	spareGoTimeout = 2 * time.Second
	// spareWait is the spare's command: wait for the FIFO, then run the
	// script the taker wrote.
	spareWait = "read _ < " + containerSpareDir + "/go && . " + containerSpareDir + "/run"
)

// errSpareUnusable marks a spare that failed before it ran any code.
var errSpareUnusable = errors.New("spare container unusable")

// spare is one idle spare container.
type spare struct {
	c       *container
	api     *instance.APIServer
	dir     string   // host folder: code/ at /var/user, ctl/ at containerSpareDir
	envKeys []string // the environment the container was created with
}

// spareSet holds the idle spares of a runtime.
type spareSet struct {
	mu     sync.Mutex        // guards the fields below
	idle   map[string]*spare // by spareKey
	making map[string]bool   // spareKey -> a spare is being started
	closed bool              // Close has begun: no more spares
}

// spareKey says which spare can run spec with image: one of the same
// function, image and memory limit. The version and code may differ.
func spareKey(spec runtime.Spec, image string, memMB int) string {
	return strings.Join([]string{instance.SpecNamespace(spec), spec.Function, image, strconv.Itoa(memMB)}, "\x00")
}

// spareFits reports whether a Start of spec with plan may use a spare.
func (d *Docker) spareFits(spec runtime.Spec, plan launchPlan, debugMounts []bindMount) bool {
	rt := runtimeFamily(strings.ToLower(spec.Runtime))
	for k := range spec.Env {
		if !validEnvName(k) {
			return false // the run script could not export it
		}
	}
	return d.remote == nil && spec.ImageConfig == nil && plan.proto == protoAPI && len(spec.Layers) == 0 &&
		len(debugMounts) == 0 && spec.DebugPort == 0 && (rt == "python" || rt == "nodejs" || rt == "php")
}

// takeSpare removes and returns the idle spare for key, if any.
func (d *Docker) takeSpare(key string) *spare {
	d.spares.mu.Lock()
	defer d.spares.mu.Unlock()
	sp := d.spares.idle[key]
	delete(d.spares.idle, key)
	return sp
}

// replenish starts a spare for key in the background unless one is idle or
// starting, or maxSpares are.
func (d *Docker) replenish(key string, spec runtime.Spec, image string, plan launchPlan, memMB int, logger *slog.Logger) {
	s := &d.spares
	s.mu.Lock()
	if s.closed || s.idle[key] != nil || s.making[key] || len(s.idle)+len(s.making) >= maxSpares {
		s.mu.Unlock()
		return
	}
	s.making[key] = true
	s.mu.Unlock()
	d.wg.Go(func() {
		sp, err := d.makeSpare(d.life, spec, image, plan, memMB, logger)
		s.mu.Lock()
		delete(s.making, key)
		keep := err == nil && !s.closed
		if keep {
			s.idle[key] = sp
		}
		s.mu.Unlock()
		if err != nil {
			logger.Debug("no spare container", "err", err)
		} else if !keep {
			d.dropSpare(sp)
		}
	})
}

// makeSpare creates and starts a spare for spec's function.
func (d *Docker) makeSpare(ctx context.Context, spec runtime.Spec, image string, plan launchPlan, memMB int, logger *slog.Logger) (*spare, error) {
	dir, err := os.MkdirTemp(d.spareRoot(), "spare-")
	if err != nil {
		if err = os.MkdirAll(d.spareRoot(), 0o700); err == nil {
			dir, err = os.MkdirTemp(d.spareRoot(), "spare-")
		}
		if err != nil {
			return nil, err
		}
	}
	sp := &spare{dir: dir}
	for _, sub := range []string{"code", "ctl"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			d.dropSpare(sp)
			return nil, err
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "ctl", "go"), 0o600); err != nil {
		d.dropSpare(sp)
		return nil, fmt.Errorf("spare fifo: %w", err)
	}
	if sp.api, err = instance.NewAPIServer(d.gateway, logger); err != nil {
		d.dropSpare(sp)
		return nil, err
	}
	lang, err := d.langMount(ctx, image)
	if err != nil {
		d.dropSpare(sp)
		return nil, err
	}
	mounts := []bindMount{
		{source: filepath.Join(dir, "code"), target: containerCodeDir, readOnly: true},
		{source: d.workDir, target: containerRuntimeDir, readOnly: true},
		{source: filepath.Join(dir, "ctl"), target: containerSpareDir, readOnly: true},
		lang,
	}
	cfg := d.containerConfig(spec, image, plan, memMB, mounts)
	cfg.cmd, cfg.entrypoint = []string{"/bin/sh", "-c", spareWait}, nil
	// The version and code are the taker's: a spare names neither.
	cfg.labels[LabelVersion], cfg.labels[LabelCodeHash] = "", ""
	for _, kv := range cfg.env {
		k, _, _ := strings.Cut(kv, "=")
		sp.envKeys = append(sp.envKeys, k)
	}
	if sp.c, _, err = d.run(ctx, cfg, memMB, logger); err != nil {
		d.dropSpare(sp)
		return nil, err
	}
	return sp, nil
}

// launchSpare runs spec's bootstrap with plan in the spare sp and waits
// until it is ready. On failure sp is gone.
func (d *Docker) launchSpare(ctx context.Context, sp *spare, spec runtime.Spec, plan launchPlan, logger *slog.Logger) (runtime.Instance, error) {
	if err := linkTree(spec.CodeDir, filepath.Join(sp.dir, "code")); err != nil {
		d.dropSpare(sp)
		return nil, fmt.Errorf("%w: code: %w", errSpareUnusable, err)
	}
	plan.env["SCF_RUNTIME_API"] = sp.api.Host()
	plan.env["SCF_RUNTIME_API_PORT"] = sp.api.Port()
	cfg := d.containerConfig(spec, "", plan, 0, nil)
	if err := os.WriteFile(filepath.Join(sp.dir, "ctl", "run"), []byte(runScript(sp.envKeys, cfg.env, plan.cmd)), 0o644); err != nil {
		d.dropSpare(sp)
		return nil, fmt.Errorf("%w: %w", errSpareUnusable, err)
	}
	if err := d.signalSpare(ctx, sp); err != nil {
		d.dropSpare(sp)
		return nil, fmt.Errorf("%w: %w", errSpareUnusable, err)
	}
	d.wg.Go(func() {
		// The code folder goes with the container.
		select {
		case <-sp.c.Done():
		case <-d.life.Done():
		}
		_ = os.RemoveAll(sp.dir)
	})
	logger.Debug("spare container taken", "container", sp.c.name)
	return instance.AwaitAPI(ctx, spec, sp.c, sp.api, d.initTimeout, plan.env[instance.MarkEnv], logger)
}

// signalSpare opens the write end of sp's FIFO, which succeeds once the
// spare's shell waits on the read end, and so releases it.
func (d *Docker) signalSpare(ctx context.Context, sp *spare) error {
	deadline := time.Now().Add(spareGoTimeout)
	for {
		f, err := os.OpenFile(filepath.Join(sp.dir, "ctl", "go"), os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			_, err = f.WriteString("go\n")
			return errors.Join(err, f.Close())
		}
		if !errors.Is(err, syscall.ENXIO) || time.Now().After(deadline) {
			return fmt.Errorf("spare %s does not wait: %w", sp.c.name, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sp.c.Done():
			return fmt.Errorf("spare %s exited", sp.c.name)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// dropSpare removes a spare that will not run code.
func (d *Docker) dropSpare(sp *spare) {
	if sp.c != nil {
		if err := sp.c.Stop(context.WithoutCancel(d.life)); err != nil {
			d.logger.Warn("remove spare container", "container", sp.c.name, "err", err)
		}
	}
	if sp.api != nil {
		sp.api.Close()
	}
	_ = os.RemoveAll(sp.dir)
}

// closeSpares drops the idle spares and refuses new ones: Close.
func (d *Docker) closeSpares() {
	d.spares.mu.Lock()
	d.spares.closed = true
	idle := d.spares.idle
	d.spares.idle = nil
	d.spares.mu.Unlock()
	for _, sp := range idle {
		d.dropSpare(sp)
	}
}

// spareRoot is the host folder of the spares' code, beside (never inside,
// which every container sees) the work dir.
func (d *Docker) spareRoot() string { return d.workDir + "-spares" }

// runScript is the shell script that turns a spare into an instance: it
// drops the environment the spare was created with, sets env and execs cmd.
func runScript(oldKeys, env, cmd []string) string {
	var b strings.Builder
	keep := map[string]bool{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		keep[k] = true
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
	}
	for _, k := range oldKeys {
		if !keep[k] && validEnvName(k) {
			fmt.Fprintf(&b, "unset %s\n", k)
		}
	}
	b.WriteString("cd " + containerCodeDir + " && exec")
	for _, a := range cmd {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString("\n")
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func validEnvName(k string) bool {
	return k != "" && !strings.ContainsFunc(k, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) && !(k[0] >= '0' && k[0] <= '9')
}

// linkTree makes dst (an empty folder) a copy of src, hard-linking files
// (the code folders are immutable snapshots) and copying where links fail.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case rel == ".":
			return nil
		case e.IsDir():
			return os.Mkdir(to, 0o755)
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case !e.Type().IsRegular():
			return nil
		}
		return instance.LinkOrCopy(p, to)
	})
}

// startWithSpare starts spec in the function's idle spare when there is one
// (else as Start does) and then starts the next spare in the background.
func (d *Docker) startWithSpare(ctx context.Context, spec runtime.Spec, image string, plan launchPlan, memMB int, debugMounts []bindMount, logger *slog.Logger) (runtime.Instance, error) {
	if !d.spareFits(spec, plan, debugMounts) {
		return d.startNew(ctx, spec, image, plan, memMB, debugMounts, logger)
	}
	key := spareKey(spec, image, memMB)
	// The spare is created from this plan: its environment is copied now,
	// before Start adds the runtime API's address to plan.env.
	spareSpec, sparePlan := spec, plan
	sparePlan.env = maps.Clone(plan.env)
	if sp := d.takeSpare(key); sp != nil {
		// The spare's launch needs nothing of the daemon: make the next
		// one meanwhile, ready for the next save.
		d.replenish(key, spareSpec, image, sparePlan, memMB, logger)
		in, err := d.launchSpare(ctx, sp, spec, plan, logger)
		if !errors.Is(err, errSpareUnusable) || ctx.Err() != nil {
			// Once released, the spare ran the code: its failure is the code's.
			return in, err
		}
		logger.Info("spare container failed: starting a new one", "container", sp.c.name, "err", err)
	}
	// After the start, which the spare's would slow down.
	defer d.replenish(key, spareSpec, image, sparePlan, memMB, logger)
	return d.startNew(ctx, spec, image, plan, memMB, nil, logger)
}
