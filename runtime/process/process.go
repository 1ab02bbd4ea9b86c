package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/scferr"
)

const (
	defaultInitTimeout = 15 * time.Second
)

// ProcessOptions configures the process runtime. The zero value of every
// field but WorkDir is usable.
type ProcessOptions struct {
	// WorkDir receives the embedded bootstraps; it is created if missing,
	// e.g. <state-dir>/runtime.
	WorkDir string
	// Python is the interpreter for Python functions; "" looks up python3 in
	// PATH.
	Python string
	// Node is the interpreter for Node.js functions; "" looks up node in PATH.
	Node string
	// PHP is the interpreter for PHP functions; "" looks up php in PATH.
	PHP string
	// InitTimeout bounds how long Start waits for an instance to become
	// ready; 0 means 15 s. The ctx passed to Start may end sooner.
	InitTimeout time.Duration
	// Logger receives lifecycle events and, at debug level, function output;
	// nil discards.
	Logger *slog.Logger
	// Isolation is how an instance's processes are kept together:
	// IsolationAuto (a cgroup per instance where the machine allows it,
	// else a child subreaper) or IsolationSubreaper (never a cgroup).
	Isolation string
}

// Isolation modes of the process runtime (ProcessOptions.Isolation).
const (
	IsolationAuto      = ""          // a cgroup when the machine allows it, else a subreaper
	IsolationSubreaper = "subreaper" // never a cgroup: tracking by process ancestry only
)

// Process is the runtime that runs every instance as an OS process of the
// host, with the version's code directory as its working directory. It is
// the fallback when no Docker daemon answers: the file system and network
// are shared, but each instance's processes are kept together (see
// isolation) and, with a cgroup, held to the memory size.
type Process struct {
	iso         *isolation
	workDir     string
	python      string
	pythonErr   error // why python is unusable; reported when a Python function starts
	node        string
	nodeErr     error // same for node
	php         string
	phpErr      error // same for php
	initTimeout time.Duration
	logger      *slog.Logger
	// platformPort is the port a web server written for the platform
	// binds (9000); tests change it to a free one.
	platformPort int
}

var _ runtime.Runtime = (*Process)(nil)

// NewProcess writes the bootstraps into opts.WorkDir and returns the
// runtime. A missing interpreter is not an error here: only functions that
// need it fail to start.
func NewProcess(opts ProcessOptions) (*Process, error) {
	if opts.WorkDir == "" {
		return nil, errors.New("process runtime: work dir is empty")
	}
	if opts.Isolation != IsolationAuto && opts.Isolation != IsolationSubreaper {
		return nil, fmt.Errorf("process runtime: isolation %q: want %q or %q", opts.Isolation, IsolationAuto, IsolationSubreaper)
	}
	dir, err := filepath.Abs(opts.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("process runtime: work dir: %w", err)
	}
	if err := instance.WriteBootstraps(dir); err != nil {
		return nil, err
	}
	p := &Process{
		workDir:      dir,
		initTimeout:  opts.InitTimeout,
		logger:       opts.Logger,
		platformPort: platformPort,
	}
	if p.initTimeout <= 0 {
		p.initTimeout = defaultInitTimeout
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	// Before any instance starts: kill what a crashed emulator left here.
	p.iso = newIsolation(dir, opts.Isolation, p.logger)
	p.logger.Debug("process isolation", "mode", p.iso.describe())
	p.python, p.pythonErr = interpreter(opts.Python, "python3")
	if p.pythonErr == nil {
		p.python = realPython(p.python, p.logger)
	}
	p.node, p.nodeErr = interpreter(opts.Node, "node")
	p.php, p.phpErr = interpreter(opts.PHP, "php")
	return p, nil
}

// realPython asks the interpreter for its own executable. Version managers
// such as pyenv put a shell-script shim first on PATH, which adds ~100 ms to
// every instance start; the real binary behaves the same without that cost.
func realPython(path string, logger *slog.Logger) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-c", "import sys; print(sys.executable)").Output()
	real := strings.TrimSpace(string(out))
	if err != nil || real == "" {
		return path
	}
	if info, err := os.Stat(real); err != nil || info.IsDir() {
		return path
	}
	if real != path {
		logger.Debug("python interpreter resolved", "path", path, "executable", real)
	}
	return real
}

func interpreter(configured, name string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found in PATH: %w", name, err)
	}
	return path, nil
}

// Isolation describes how instances are kept together, for the console.
func (p *Process) Isolation() string { return p.iso.describe() }

// Name returns "process".
func (p *Process) Name() string { return "process" }

// Start starts one instance of spec and returns once it is ready: the
// bootstrap called /runtime/init/ready, the Go1 binary answered Ping, or the
// web server accepted a connection. Failures are scferr.ErrContainerInit
// (445) or, for a web server that never listened, scferr.ErrPortBinding
// (446), with the tail of the process output in the message. When ctx ends
// first, Start returns ctx.Err(). Nothing is left running after a failure.
func (p *Process) Start(ctx context.Context, spec runtime.Spec) (runtime.Instance, error) {
	if fi, err := os.Stat(spec.CodeDir); err != nil || !fi.IsDir() || !filepath.IsAbs(spec.CodeDir) {
		return nil, scferr.Newf(scferr.ErrContainerInit, err, "code directory %q is not an absolute path to a directory", spec.CodeDir)
	}
	if spec.ImageConfig != nil {
		return nil, scferr.Newf(scferr.ErrContainerInit, nil,
			"%s is an image function (image %s): image functions run in their image, which needs the docker runtime (--runtime docker)",
			spec.Function, spec.ImageConfig.ImageURI)
	}
	logger := p.logger.With("function", spec.Function, "version", spec.Version)
	if spec.DebugPort > 0 {
		var err error
		if spec, err = p.prepareDebug(ctx, spec); err != nil {
			return nil, err
		}
	}
	rt := strings.ToLower(spec.Runtime)
	switch {
	case strings.EqualFold(spec.Type, "http"):
		return p.startWeb(ctx, spec, logger)
	case strings.HasPrefix(rt, "python"):
		if p.pythonErr != nil {
			return nil, scferr.New(scferr.ErrContainerInit, "cannot run "+spec.Runtime, p.pythonErr)
		}
		boot := filepath.Join(p.workDir, "python", "bootstrap.py")
		env := map[string]string{"PYTHONDONTWRITEBYTECODE": "1", "_SCF_CONTEXT_ENVIRONMENT": instance.ContextEnvironment(spec), instance.MarkEnv: instance.NewLogMark()}
		return p.startAPI(ctx, spec, logger, p.python, []string{"-u", boot}, instance.AddDebugEnv(spec, debugHost, env))
	case strings.HasPrefix(rt, "nodejs"):
		if p.nodeErr != nil {
			return nil, scferr.New(scferr.ErrContainerInit, "cannot run "+spec.Runtime, p.nodeErr)
		}
		boot := filepath.Join(p.workDir, "node", "bootstrap.js")
		env := map[string]string{"_SCF_CONTEXT_ENVIRONMENT": instance.ContextEnvironment(spec), instance.MarkEnv: instance.NewLogMark()}
		return p.startAPI(ctx, spec, logger, p.node, instance.NodeArgs(spec, debugHost, []string{boot}), env)
	case strings.HasPrefix(rt, "php"):
		if p.phpErr != nil {
			return nil, scferr.New(scferr.ErrContainerInit, "cannot run "+spec.Runtime+" (install php-cli)", p.phpErr)
		}
		boot := filepath.Join(p.workDir, "php", "bootstrap.php")
		env := map[string]string{"_SCF_CONTEXT_ENVIRONMENT": instance.ContextEnvironment(spec), instance.MarkEnv: instance.NewLogMark()}
		return p.startAPI(ctx, spec, logger, p.php, instance.PHPArgs(boot), env)
	case rt == "customruntime":
		boot, err := instance.FindExecutable(spec.CodeDir, "bootstrap", "scf_bootstrap")
		if err != nil {
			return nil, err
		}
		in, err := p.startAPI(ctx, spec, logger, boot, nil, nil)
		return in, explainStart(boot, err)
	case rt == "go1":
		return p.startGo(ctx, spec, logger)
	default:
		return nil, scferr.Newf(scferr.ErrContainerInit, nil, "runtime %q is not supported by the process runtime", spec.Runtime)
	}
}
