package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// The process runtime runs a function's files as they are on the host: it
// never rewrites them. Two habits of code written for the platform do not
// work that way, and get a 445 that says why instead of a bare "No such file
// or directory" or a 446 after the init timeout:
//   - a bootstrap that starts /var/lang/<lang>/bin/<interpreter>, the
//     platform's interpreter paths, which hosts do not have;
//   - a web server that binds the platform's port 9000 instead of $PORT,
//     which the process runtime needs because instances share the host's
//     network.
// The docker runtime provides both, so the message points there.

const (
	// platformPort is where the platform's web functions listen.
	platformPort = 9000
	// maxBootstrapScan bounds how much of a bootstrap is searched for
	// /var/lang paths: scripts are small, binaries are skipped.
	maxBootstrapScan = 64 << 10
	// portSettle is how long the tree may listen on 9000 without $PORT
	// answering before the start is given up: a server that binds both
	// has that long to bind $PORT too.
	portSettle = time.Second
	// portPoll is how often the tree's listening sockets are read.
	portPoll = 100 * time.Millisecond
)

var varLangPath = regexp.MustCompile(`/var/lang/[^\s"'$;&|<>()\x60]+`)

// explainStart returns the error of a bootstrap at path that failed to
// start (cause): a 445 that says why when the script names a /var/lang
// interpreter this machine lacks, else cause itself. It reads the script
// only after a failure, because portable bootstraps name /var/lang and fall
// back to PATH ("ls /var/lang/node*/bin/node || node").
func explainStart(path string, cause error) error {
	// Only a failure that names /var/lang (the shell's "No such file or
	// directory" in the output tail) is the interpreter path's fault; a
	// portable bootstrap that fell back and then failed otherwise keeps its
	// own error.
	if cause == nil || !strings.Contains(cause.Error(), "/var/lang") {
		return cause
	}
	if err := checkPlatformPaths(path); err != nil {
		return fmt.Errorf("%w (%v)", err, cause)
	}
	return cause
}

// checkPlatformPaths returns a 445 when the bootstrap at path names a
// /var/lang interpreter that this machine lacks.
func checkPlatformPaths(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // the start reports it
	}
	defer f.Close()
	buf := make([]byte, maxBootstrapScan)
	n, _ := f.Read(buf)
	buf = buf[:n]
	if len(buf) < 2 || string(buf[:2]) != "#!" {
		return nil // not a script: nothing to read paths from
	}
	for _, m := range varLangPath.FindAll(buf, -1) {
		if _, err := os.Stat(string(m)); err == nil {
			continue
		}
		return scferr.Newf(scferr.ErrContainerInit, nil,
			"%s runs %s, the platform's interpreter path, which this machine lacks: "+
				"the process runtime runs your files unchanged on the host; `--runtime docker` runs it unchanged "+
				"(its containers provide /var/lang/...), or call the interpreter by name (%s instead of %[2]s)",
			filepath.Base(path), m, filepath.Base(string(m)))
	}
	return nil
}

// errListensOnPlatformPort is the 445 of a web function whose processes
// listen on the platform's port and not on $PORT.
func errListensOnPlatformPort(platform int, port string) error {
	return scferr.Newf(scferr.ErrContainerInit, nil,
		"the web server listens on port %d, the platform's port, not on $PORT (%s): the process runtime gives every instance "+
			"its own port in $PORT because instances share this machine's network; listen on $PORT (falling back to %[1]d), "+
			"or run with `--runtime docker`, which runs it unchanged on %[1]d", platform, port)
}

// watchPlatformPort returns a context that ends with ctx, or when the
// processes of c have listened on platform (9000) for portSettle; stop ends the watch
// and reports whether it was the latter.
func watchPlatformPort(ctx context.Context, c *child, platform int) (wctx context.Context, stop func() (fired bool)) {
	wctx, cancel := context.WithCancel(ctx)
	var sawPort bool // written before done is closed
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(portPoll)
		defer t.Stop()
		var since time.Time
		for {
			select {
			case <-wctx.Done():
				return
			case <-t.C:
			}
			switch {
			case !treeListensOn(c.tree, platform):
				since = time.Time{}
			case since.IsZero():
				since = time.Now()
			case time.Since(since) >= portSettle:
				sawPort = true
				cancel()
				return
			}
		}
	}()
	return wctx, func() bool {
		cancel()
		<-done
		return sawPort
	}
}

// asPlatformPortError turns the failed start of a web instance into the 445
// of errListensOnPlatformPort when the watch fired and the caller's ctx
// did not end.
func asPlatformPortError(ctx context.Context, err error, fired bool, platform int, port string) error {
	if fired && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, scferr.ErrPortBinding)) {
		return errListensOnPlatformPort(platform, port)
	}
	return err
}

// startError is the 445 of a bootstrap at path that could not be started
// (cause: the exec's error). When the file exists but its #! line names an
// interpreter this machine lacks, the exec says only "no such file or
// directory", so the message names the interpreter.
func startError(path string, cause error) error {
	if errors.Is(cause, fs.ErrNotExist) {
		if err := checkPlatformPaths(path); err != nil {
			return err
		}
		if interp := shebangInterpreter(path); interp != "" {
			if _, err := os.Stat(interp); err != nil {
				return scferr.Newf(scferr.ErrContainerInit, cause,
					"%s names the interpreter %s on its #! line, which this machine does not have: the process runtime runs "+
						"your files unchanged on the host; install it, name one that is here (#!/usr/bin/env python3), or run with `--runtime docker`",
					filepath.Base(path), interp)
			}
		}
	}
	return scferr.New(scferr.ErrContainerInit, "cannot start "+path, cause)
}

// shebangInterpreter is the interpreter on the #! line of the script at
// path, "" when it is no script.
func shebangInterpreter(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	line, _, _ := bytes.Cut(head[:n], []byte("\n"))
	rest, ok := bytes.CutPrefix(line, []byte("#!"))
	if !ok {
		return ""
	}
	if fields := strings.Fields(string(rest)); len(fields) > 0 {
		return fields[0]
	}
	return ""
}
