package reqlog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// AccessLog appends every recorded request, redacted, to a file as one JSON
// line each: the same lines `emulator logs --requests` prints, ready for
// `emulator replay`. Lines are written in the background; when the disk
// cannot keep up, lines are dropped, never the
// gateway slowed (a follower's buffer holds 256 lines).
type AccessLog struct {
	f   *os.File
	log *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu guards err.
	mu  sync.Mutex
	err error // the first write error, logged once
}

// OpenAccessLog opens (creating, appending) path and writes the requests
// rec records until Close.
func OpenAccessLog(path string, rec *Recorder, log *slog.Logger) (*AccessLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open access log: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &AccessLog{f: f, log: log, cancel: cancel}
	lines := rec.Follow(ctx, "")
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for l := range lines {
			a.write(l)
		}
	}()
	return a, nil
}

func (a *AccessLog) write(l Line) {
	b, err := json.Marshal(l)
	if err == nil {
		_, err = a.f.Write(append(b, '\n'))
	}
	if err != nil {
		a.mu.Lock()
		first := a.err == nil
		if first {
			a.err = err
		}
		a.mu.Unlock()
		if first {
			a.log.Warn("access log write failed", "file", a.f.Name(), "error", err)
		}
	}
}

// Close stops writing and closes the file. Lines recorded but not yet
// written are lost.
func (a *AccessLog) Close() error {
	a.cancel()
	a.wg.Wait()
	return a.f.Close()
}
