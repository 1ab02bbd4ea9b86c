package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// How a taker reaches a spare's waiter: the binary waiter through the
// spare's FIFO (a JSON spareOrder), the shell waiter through the
// container's stdin (a script, spareshell.go).

// openWaiting opens the write end of sp's FIFO, which succeeds once the
// waiter has opened the read end, that is once it waits.
func openWaiting(ctx context.Context, sp *spare) (*os.File, error) {
	deadline := time.Now().Add(spareReadyTimeout)
	wait := time.Millisecond
	for {
		f, err := os.OpenFile(filepath.Join(sp.dir, "ctl", "go"), os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.ENXIO) || time.Now().After(deadline) {
			return nil, fmt.Errorf("spare %s does not wait: %w", sp.c.name, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-sp.c.Done():
			return nil, fmt.Errorf("spare %s exited: %s", sp.c.name, sp.c.Output().Tail())
		case <-time.After(wait):
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
}

// sendOrder hands cfg's command and environment to sp's waiter.
func sendOrder(sp *spare, cfg *containerConfig) error {
	o := orderOf(sp, cfg)
	if sp.shell {
		script, err := orderScript(o)
		if err == nil {
			err = sp.c.sendStdin([]byte(script), spareOrderTimeout)
		}
		if err != nil {
			return fmt.Errorf("spare %s: order: %w", sp.c.name, err)
		}
		return nil
	}
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	f := sp.ctl
	sp.ctl = nil
	err = f.SetWriteDeadline(time.Now().Add(spareOrderTimeout))
	if err == nil {
		_, err = f.Write(b)
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("spare %s: order: %w", sp.c.name, err)
	}
	return nil
}

// orderOf is cfg's command and environment as an order to sp, which unsets
// what sp was created with and cfg does not set.
func orderOf(sp *spare, cfg *containerConfig) spareOrder {
	o := spareOrder{Env: cfg.env, Dir: cfg.workDir, Cmd: cfg.cmd}
	set := map[string]bool{}
	for _, kv := range cfg.env {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	for _, k := range sp.envKeys {
		if !set[k] {
			o.Unset = append(o.Unset, k)
		}
	}
	return o
}
