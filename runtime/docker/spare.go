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
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
)

// A spare is a started container of a function that waits, in the spare
// waiter (sparewait.go), for code it has not got yet. Creating and starting
// a container is most of a cold start (about 250 ms of the daemon's time
// here), so the next Start of the same function (a hot reload of $LATEST, a
// newly published version) takes the spare: its code is hard-linked into
// the spare's code folder and the command and environment go through the
// FIFO to the waiter, which execs them. Every runtime of a local engine has
// spares (the waiter needs nothing of the image), but not image functions,
// layers or a debugger, whose mounts or commands a spare cannot know. Where
// this binary cannot wait in the engine's containers (macOS, Windows,
// another architecture, an engine in a VM) spares wait in the image's shell
// and take their order on stdin (spareshell.go): images without one get none.
const (
	// containerSpareDir holds the spare's FIFO, read-only.
	containerSpareDir = "/var/scf-spare"
	// maxSpares bounds the idle spare containers of a runtime.
	maxSpares = 8
	// spareReadyTimeout bounds the wait for a new spare's waiter to open
	// its FIFO.
	spareReadyTimeout = 10 * time.Second
	// spareOrderTimeout bounds the write of an order into a waiting spare.
	spareOrderTimeout = 2 * time.Second
)

// errSpareUnusable marks a spare that failed before it ran any code.
var errSpareUnusable = errors.New("spare container unusable")

// spare is one idle spare container.
type spare struct {
	c       *container
	info    containerInfo
	api     *instance.APIServer // the runtime API of an event function's spare
	dir     string              // host folder: code/ at /var/user, ctl/ at containerSpareDir
	envKeys []string            // the environment the container was created with
	ctl     *os.File            // write end of the FIFO, held while the spare waits
	shell   bool                // waits in the image's shell on stdin, not on the FIFO (spareshell.go)
}

// spareSet holds the idle spares of a runtime.
type spareSet struct {
	mu          sync.Mutex                // guards the fields below
	idle        map[string][]*spare       // by spareKey, oldest first
	making      map[string][]*makingSpare // by spareKey, oldest first (spareclaim.go)
	count       int                       // idle and being made, of every key
	closed      bool                      // Close has begun: no more spares
	noShell     map[string]bool           // images found to have no /bin/sh for the shell waiter
	waiterKnown bool                      // waiterOnce has set waiter and waiterErr

	waiterOnce sync.Once
	waiter     waiter // set by waiterOnce
	waiterErr  error  // set by waiterOnce: no spares
	noBinary   bool   // tests: as if the binary waiter could not run here; set before the first Start
}

// spareKey says which spare can run spec with image and plan: one of the
// same function, image, memory limit and protocol (which says whether a port
// is published). The version and code may differ.
func spareKey(spec runtime.Spec, image string, plan launchPlan, memMB int) string {
	return strings.Join([]string{instance.SpecNamespace(spec), spec.Function, image, strconv.Itoa(memMB), strconv.Itoa(int(plan.proto))}, "\x00")
}

// spareFits reports whether a Start of spec with plan may use a spare.
func (d *Docker) spareFits(spec runtime.Spec, plan launchPlan, debugMounts []bindMount) bool {
	return !d.noSpares && d.remote == nil && spec.ImageConfig == nil && plan.proto != protoImage && len(spec.Layers) == 0 &&
		len(debugMounts) == 0 && spec.DebugPort == 0
}

// Spares kept per key: one after a first start, more for a function whose
// spares are being taken (saves in a row, publishes), so that the next
// Start finds one ready even when the daemon is slower than the saves.
const (
	sparesAfterStart = 1
	sparesAfterTake  = 2
)

// replenish starts spares for key in the background until want are idle or
// being made, within maxSpares in all.
func (d *Docker) replenish(key string, want int, spec runtime.Spec, image string, plan launchPlan, memMB int, logger *slog.Logger) {
	s := &d.spares
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.closed && len(s.idle[key])+len(s.making[key]) < want && s.count < maxSpares {
		m := &makingSpare{done: make(chan struct{})}
		s.making[key] = append(s.making[key], m)
		s.count++
		d.wg.Go(func() { d.makeIdle(key, m, spec, image, plan, memMB, logger) })
	}
}

// makeIdle makes one spare for key and hands it to the start that claimed
// it, else files it as idle.
func (d *Docker) makeIdle(key string, m *makingSpare, spec runtime.Spec, image string, plan launchPlan, memMB int, logger *slog.Logger) {
	t0 := time.Now()
	sp, err := d.makeSpare(d.life, spec, image, plan, memMB, logger)
	switch kept := d.spares.finishMaking(key, m, sp, err); {
	case err != nil:
		logger.Debug("no spare container", "err", err)
	case !kept:
		d.dropSpare(sp)
	default:
		logger.Debug("spare container ready", "container", sp.c.name, "took", time.Since(t0).Round(time.Millisecond))
	}
}

// makeSpare creates and starts a spare for spec's function and returns it
// once its waiter waits.
func (d *Docker) makeSpare(ctx context.Context, spec runtime.Spec, image string, plan launchPlan, memMB int, logger *slog.Logger) (*spare, error) {
	w, err := d.spareWaiter(ctx)
	if err != nil {
		return nil, err
	}
	if w.shell {
		if err := d.shellRefuses(image, spec); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(d.spareRoot(), 0o700); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(d.spareRoot(), "spare-")
	if err != nil {
		return nil, err
	}
	sp := &spare{dir: dir, shell: w.shell}
	for _, sub := range []string{"code", "ctl"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			d.dropSpare(sp)
			return nil, err
		}
	}
	if !w.shell {
		if err := mkfifo(filepath.Join(dir, "ctl", "go")); err != nil {
			d.dropSpare(sp)
			return nil, fmt.Errorf("spare fifo: %w", err)
		}
	}
	if plan.proto == protoAPI {
		if sp.api, err = instance.NewAPIServer(d.gateway, logger); err != nil {
			d.dropSpare(sp)
			return nil, err
		}
	}
	lang, err := d.langMount(ctx, image)
	if err != nil {
		d.dropSpare(sp)
		return nil, err
	}
	mounts := []bindMount{
		{source: filepath.Join(dir, "code"), target: containerCodeDir, readOnly: true},
		{source: d.workDir, target: containerRuntimeDir, readOnly: true},
		lang,
	}
	if !w.shell {
		mounts = append(mounts,
			bindMount{source: filepath.Join(dir, "ctl"), target: containerSpareDir, readOnly: true},
			bindMount{source: d.waiterDir(), target: containerWaiterDir, readOnly: true})
	}
	cfg := d.containerConfig(spec, image, plan, memMB, mounts)
	cfg.entrypoint, cfg.cmd = w.cmd[:1], w.cmd[1:] // whatever the image's entrypoint
	cfg.stdin = w.shell
	// The version and code are the taker's: a spare names neither.
	cfg.labels[LabelVersion], cfg.labels[LabelCodeHash] = "", ""
	for _, kv := range cfg.env {
		k, _, _ := strings.Cut(kv, "=")
		sp.envKeys = append(sp.envKeys, k)
	}
	if sp.c, sp.info, err = d.run(ctx, cfg, memMB, logger); err != nil {
		if w.shell {
			d.shellFailed(image, err)
		}
		d.dropSpare(sp)
		return nil, err
	}
	if w.shell {
		// Its stdin holds what is written until the shell reads it.
		return sp, nil
	}
	if sp.ctl, err = openWaiting(ctx, sp); err != nil {
		d.dropSpare(sp)
		return nil, err
	}
	return sp, nil
}

// launchSpare runs spec's plan in the spare sp and waits until it is ready.
// On failure sp is gone.
// waited is how long the taker waited for the spare, for the log.
func (d *Docker) launchSpare(ctx context.Context, sp *spare, spec runtime.Spec, plan launchPlan, waited time.Duration, logger *slog.Logger) (runtime.Instance, error) {
	t0 := time.Now()
	if err := linkTree(spec.CodeDir, filepath.Join(sp.dir, "code")); err != nil {
		d.dropSpare(sp)
		return nil, fmt.Errorf("%w: code: %w", errSpareUnusable, err)
	}
	if sp.api != nil {
		plan.env["SCF_RUNTIME_API"] = sp.api.Host()
		plan.env["SCF_RUNTIME_API_PORT"] = sp.api.Port()
	}
	t1 := time.Now()
	if err := sendOrder(sp, d.containerConfig(spec, "", plan, 0, nil)); err != nil {
		d.dropSpare(sp)
		return nil, fmt.Errorf("%w: %w", errSpareUnusable, err)
	}
	t2 := time.Now()
	d.wg.Go(func() {
		// The code folder goes with the container.
		select {
		case <-sp.c.Done():
		case <-d.life.Done():
		}
		_ = os.RemoveAll(sp.dir)
	})
	in, err := d.await(ctx, spec, plan, sp.api, sp.c, sp.info, logger)
	logger.Debug("spare container taken", "container", sp.c.name, "waited", waited.Round(time.Microsecond), "link", t1.Sub(t0).Round(time.Microsecond),
		"order", t2.Sub(t1).Round(time.Microsecond), "ready", time.Since(t2).Round(time.Millisecond), "err", err)
	return in, err
}

// dropSpare removes a spare that will not run code.
func (d *Docker) dropSpare(sp *spare) {
	if sp.ctl != nil {
		sp.ctl.Close() // the waiter exits
	}
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
	var wg sync.WaitGroup
	for _, sps := range idle {
		for _, sp := range sps {
			wg.Go(func() { d.dropSpare(sp) })
		}
	}
	wg.Wait()
}

// spareRoot is the host folder of the spares' code and of the staged
// waiter, beside (never inside, which every container sees) the work dir.
func (d *Docker) spareRoot() string { return d.workDir + "-spares" }

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

// startWithSpare starts spec in the function's spare when there is one
// (else as Start does) and then starts the next spare in the background.
func (d *Docker) startWithSpare(ctx context.Context, spec runtime.Spec, image string, plan launchPlan, memMB int, debugMounts []bindMount, logger *slog.Logger) (runtime.Instance, error) {
	if !d.spareFits(spec, plan, debugMounts) || !d.shellSpareFits(image, spec) {
		return d.startNew(ctx, spec, image, plan, memMB, debugMounts, logger)
	}
	key := spareKey(spec, image, plan, memMB)
	// The spare is created from this plan: its environment is copied now,
	// before Start adds the runtime API's address to plan.env.
	spareSpec, sparePlan := spec, plan
	sparePlan.env = maps.Clone(plan.env)
	t0 := time.Now()
	sp := d.takeSpare(ctx, key)
	if sp == nil {
		// After the start, which the spare's would slow down.
		defer d.replenish(key, sparesAfterStart, spareSpec, image, sparePlan, memMB, logger)
		logger.Debug("no spare container: starting a new one", "waited", time.Since(t0).Round(time.Microsecond))
		return d.startNew(ctx, spec, image, plan, memMB, nil, logger)
	}
	// The launch needs nothing of the daemon: make the next spares
	// meanwhile, ready for the next save or publish.
	d.replenish(key, sparesAfterTake, spareSpec, image, sparePlan, memMB, logger)
	in, err := d.launchSpare(ctx, sp, spec, plan, time.Since(t0), logger)
	if !errors.Is(err, errSpareUnusable) || ctx.Err() != nil {
		// Once ordered, the spare ran the code: its failure is the code's.
		return in, err
	}
	logger.Info("spare container failed: starting a new one", "container", sp.c.name, "err", err)
	return d.startNew(ctx, spec, image, plan, memMB, nil, logger)
}
