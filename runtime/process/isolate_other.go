//go:build !linux

package process

import (
	"log/slog"
	"syscall"

	"github.com/scf-emulator/emulator/runtime/internal/memprobe"
)

// isolation outside Linux has neither cgroups nor a subreaper: an instance
// is its process group, and what leaves the group escapes.
type isolation struct{}

func newIsolation(string, string, *slog.Logger) *isolation { return &isolation{} }

func (*isolation) describe() string { return "process group" }

// tree is an instance's process group.
type tree struct{ main int }

func (*isolation) prepare(int, *syscall.SysProcAttr, *slog.Logger) (*tree, func()) {
	return &tree{}, func() {}
}

func (*tree) env() []string               { return nil }
func (t *tree) attach(pid int)            { t.main = pid }
func (t *tree) signal(sig syscall.Signal) { _ = signalGroup(t.main, sig) }
func (t *tree) kill() error               { return signalGroup(t.main, syscall.SIGKILL) }
func (t *tree) MemUsage() int64           { return memprobe.RSS(t.main) }
func (t *tree) OOMKills() int64           { return -1 }
