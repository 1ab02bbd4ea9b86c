package docker

import (
	"os"
	"strings"
	"sync"

	"github.com/scf-emulator/emulator/statelock"
)

// Owner labels: which emulator created a container, volume or network.
// Together with LabelSession they let an emulator tell its own leftovers
// and abandoned ones from those of emulators that still run (see Status).
const (
	LabelOwnerHost    = "dev.scf-emulator.owner-host"    // the emulator machine's hostname
	LabelOwnerMachine = "dev.scf-emulator.owner-machine" // its machine id; "" when it has none
	LabelStateDir     = "dev.scf-emulator.state-dir"     // the emulator's absolute state dir
	// LabelRole marks the presence volume an emulator keeps while it runs,
	// so that an emulator with no container is still seen (gc keeps the
	// network for it).
	LabelRole = "dev.scf-emulator.role"
)

const rolePresence = "presence"

// Host identifies a machine. Two hosts are the same only when both the name
// and the machine id match: containers built from one image share a machine
// id and differ by hostname, two laptops may share a name but not an id.
type Host struct {
	Name    string
	Machine string
}

// ThisHost returns this machine's identity.
func ThisHost() Host {
	hostOnce.Do(func() {
		thisHost.Name, _ = os.Hostname()
		for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
			if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) > 0 {
				thisHost.Machine = strings.TrimSpace(string(b))
				break
			}
		}
	})
	return thisHost
}

var (
	hostOnce sync.Once
	thisHost Host // set once by ThisHost
)

// Owner is the emulator that created a managed object.
type Owner struct {
	Host     Host
	StateDir string // absolute; "" for objects without owner labels
	Session  string
}

// ownerOf reads the owner labels; ok is false for objects that lack them
// (made by an emulator older than the labels, or by a runtime given no
// state dir).
func ownerOf(labels map[string]string) (o Owner, ok bool) {
	o = Owner{
		Host:     Host{Name: labels[LabelOwnerHost], Machine: labels[LabelOwnerMachine]},
		StateDir: labels[LabelStateDir],
		Session:  labels[LabelSession],
	}
	return o, o.Host.Name != "" && o.StateDir != ""
}

// Status is what an emulator may do with a managed object: the abandoned
// ones (Abandoned) are removed at start-up and by gc; the others are left
// alone unless gc is told --all.
type Status int

const (
	// StatusNoOwner: no owner labels (an older emulator's, or a test's).
	StatusNoOwner Status = iota
	// StatusSelf: this emulator's own, current session.
	StatusSelf
	// StatusLive: another emulator holds the owner's state dir.
	StatusLive
	// StatusOtherHost: made from another machine, whose state dirs and
	// locks this one cannot see.
	StatusOtherHost
	// StatusUnknown: the owner's state dir could not be probed.
	StatusUnknown
	// StatusEarlierRun: left by an earlier run in this emulator's own
	// state dir, whose lock this emulator holds.
	StatusEarlierRun
	// StatusDirGone: same host, and the owner's state dir is gone.
	StatusDirGone
	// StatusUnlocked: same host, and nobody holds the owner's state dir.
	StatusUnlocked
	// StatusNetworkInUse and StatusNetworkUnused are the shared network's:
	// it is removed only when no container is attached and nothing
	// managed is left but what is being removed with it.
	StatusNetworkInUse
	StatusNetworkUnused
)

func (s Status) String() string {
	switch s {
	case StatusSelf:
		return "live: this emulator"
	case StatusLive:
		return "live: lock held"
	case StatusOtherHost:
		return "other host"
	case StatusUnknown:
		return "unknown: state dir not readable"
	case StatusEarlierRun:
		return "abandoned: earlier run here"
	case StatusDirGone:
		return "abandoned: state dir gone"
	case StatusUnlocked:
		return "abandoned: unlocked"
	case StatusNetworkInUse:
		return "in use"
	case StatusNetworkUnused:
		return "unused"
	}
	return "no owner (older version)"
}

// Abandoned reports whether the object is provably left by an emulator that
// no longer runs, or is an unused network.
func (s Status) Abandoned() bool {
	switch s {
	case StatusEarlierRun, StatusDirGone, StatusUnlocked, StatusNetworkUnused:
		return true
	}
	return false
}

// classifier decides the Status of managed objects. It probes each state
// dir once: list first, probe after, so that an object listed while its
// owner ran and probed after the owner ended is rightly abandoned, and an
// emulator that starts on a free state dir in between is seen as live.
type classifier struct {
	self  Owner // Host always; StateDir only when this emulator holds its lock
	probe func(dir string) (statelock.State, error)
	seen  map[string]statelock.State
}

func newClassifier(self Owner, probe func(string) (statelock.State, error)) *classifier {
	if probe == nil {
		probe = statelock.Probe
	}
	return &classifier{self: self, probe: probe, seen: map[string]statelock.State{}}
}

func (c *classifier) classify(labels map[string]string) Status {
	o, ok := ownerOf(labels)
	switch {
	case c.self.Session != "" && o.Session == c.self.Session:
		return StatusSelf
	case !ok:
		return StatusNoOwner
	case o.Host != c.self.Host:
		return StatusOtherHost
	case c.self.StateDir != "" && o.StateDir == c.self.StateDir:
		return StatusEarlierRun
	}
	st, ok := c.seen[o.StateDir]
	if !ok {
		var err error
		if st, err = c.probe(o.StateDir); err != nil {
			st = statelock.Unknown
		}
		c.seen[o.StateDir] = st
	}
	switch st {
	case statelock.Held:
		return StatusLive
	case statelock.Gone:
		return StatusDirGone
	case statelock.Free:
		return StatusUnlocked
	}
	return StatusUnknown
}

// ownerLabels are the labels of everything the runtime creates: managed,
// session, owner (when it has a state dir) and the test scope.
func (d *Docker) ownerLabels() map[string]string {
	l := map[string]string{LabelManaged: "true", LabelSession: d.session}
	if d.stateDir != "" {
		h := ThisHost()
		l[LabelOwnerHost], l[LabelOwnerMachine], l[LabelStateDir] = h.Name, h.Machine, d.stateDir
	}
	for k, v := range d.scope {
		l[k] = v
	}
	return l
}

// presenceVolumeName names the empty volume that shows, while the runtime
// lives, that an emulator uses the engine; Close removes it with the
// session's other objects.
func presenceVolumeName(session string) string { return "scf-emulator-" + short(session, 12) }

func (d *Docker) presenceLabels() map[string]string {
	l := d.ownerLabels()
	l[LabelRole] = rolePresence
	return l
}

// mayRemove reports whether an object with these labels is this runtime's
// own or provably abandoned.
func (d *Docker) mayRemove(labels map[string]string) bool {
	st := newClassifier(Owner{Host: ThisHost(), StateDir: d.stateDir, Session: d.session}, d.probe).classify(labels)
	return st == StatusSelf || st.Abandoned()
}

// sessionTag is the part of a session's id that container names carry:
// its last six letters and digits.
func sessionTag(session string) string {
	s := strings.ReplaceAll(session, "-", "")
	if len(s) > 6 {
		s = s[len(s)-6:]
	}
	return s
}
