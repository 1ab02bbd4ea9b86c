//go:build unix

package docker

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/scf-emulator/emulator/statelock"
)

// ownedBy returns the labels of an object created by an emulator on host in
// stateDir during session.
func ownedBy(h Host, stateDir, session string) map[string]string {
	return map[string]string{
		LabelManaged: "true", LabelSession: session,
		LabelOwnerHost: h.Name, LabelOwnerMachine: h.Machine, LabelStateDir: stateDir,
	}
}

// fakeProbe answers statelock.Probe from a table and counts the probes.
type fakeProbe struct {
	states map[string]statelock.State
	calls  map[string]int
}

func (p *fakeProbe) probe(dir string) (statelock.State, error) {
	p.calls[dir]++
	st, ok := p.states[dir]
	if !ok {
		return statelock.Unknown, errors.New("permission denied")
	}
	return st, nil
}

func TestJanitorClassification(t *testing.T) {
	me := ThisHost()
	twin := Host{Name: me.Name, Machine: me.Machine + "-other"} // same name, another machine
	far := Host{Name: "far-away", Machine: me.Machine}          // a container built from our image
	const mine = "/state/mine"
	tests := []struct {
		name   string
		labels map[string]string
		want   Status
	}{
		{"this session", ownedBy(me, mine, "s1"), StatusSelf},
		{"earlier run here", ownedBy(me, mine, "crashed"), StatusEarlierRun},
		{"live emulator beside", ownedBy(me, "/state/live", "l1"), StatusLive},
		{"live emulator, second container", ownedBy(me, "/state/live", "l1"), StatusLive},
		{"state dir gone", ownedBy(me, "/state/gone", "g1"), StatusDirGone},
		{"unlocked", ownedBy(me, "/state/free", "f1"), StatusUnlocked},
		{"probe fails", ownedBy(me, "/state/unreadable", "u1"), StatusUnknown},
		{"other machine, same hostname", ownedBy(twin, mine, "t1"), StatusOtherHost},
		{"other hostname, same machine id", ownedBy(far, "/state/free", "t2"), StatusOtherHost},
		{"older version, no owner", map[string]string{LabelManaged: "true", LabelSession: "old"}, StatusNoOwner},
	}
	f := newFakeDocker(t, echoAPI)
	d := newFakeRuntime(t, f, DockerOptions{Session: "s1", StateDir: mine})
	p := &fakeProbe{calls: map[string]int{}, states: map[string]statelock.State{
		"/state/live": statelock.Held, "/state/gone": statelock.Gone, "/state/free": statelock.Free,
		mine: statelock.Held, // this emulator's own lock
	}}
	d.probe = p.probe
	for i, tc := range tests {
		name := "scf-c-" + string(rune('a'+i))
		f.add(name, tc.labels, i%2 == 0)
		if err := f.createVolume(t.Context(), "scf-code-"+name, maps.Clone(tc.labels)); err != nil {
			t.Fatal(err)
		}
	}
	f.add("unrelated", map[string]string{"app": "db"}, true)

	j := newJanitor(f, Owner{Host: me, StateDir: mine, Session: "s1"}, JanitorOptions{})
	j.probe = p.probe
	items, err := j.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Leftover{}
	for _, l := range items {
		byName[l.Name] = l
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "scf-c-" + string(rune('a'+i))
			for _, n := range []string{name, "scf-code-" + name} {
				if got := byName[n].Status; got != tc.want {
					t.Errorf("%s: %v, want %v", n, got, tc.want)
				}
			}
		})
	}
	if l := byName[presenceVolumeName("s1")]; l.Kind != KindEmulator || l.Status != StatusSelf {
		t.Errorf("presence volume: %+v, want kind emulator, this emulator", l)
	}
	if _, ok := byName["unrelated"]; ok {
		t.Error("an unmanaged container was listed")
	}
	for dir, n := range p.calls {
		if n != 1 {
			t.Errorf("%s probed %d times in one listing, want once", dir, n)
		}
	}
	if p.calls[mine] != 0 {
		t.Errorf("this emulator's own state dir was probed")
	}

	// Start-up removes exactly the abandoned ones.
	n, err := d.RemoveOrphans(t.Context(), "s1")
	if err != nil {
		t.Fatal(err)
	}
	var wantLive []string
	removed := 0
	for i, tc := range tests {
		name := "scf-c-" + string(rune('a'+i))
		gone := f.volume("scf-code-"+name) == nil
		if gone != tc.want.Abandoned() {
			t.Errorf("%s: volume removed %v, want %v", tc.name, gone, tc.want.Abandoned())
		}
		if tc.want.Abandoned() {
			removed++
		} else {
			wantLive = append(wantLive, name)
		}
	}
	if n != removed {
		t.Errorf("RemoveOrphans = %d, want %d", n, removed)
	}
	wantLive = append(wantLive, "unrelated")
	if got := f.liveNames(); !sameSet(got, wantLive) {
		t.Errorf("containers after RemoveOrphans: %v, want %v", got, wantLive)
	}
	if _, ok := f.networks[DefaultNetwork]; !ok {
		t.Error("RemoveOrphans removed the network")
	}
}

func TestJanitorNetwork(t *testing.T) {
	me := ThisHost()
	f := newFakeDocker(t, echoAPI)
	if err := f.createNetwork(t.Context(), DefaultNetwork, map[string]string{LabelManaged: "true"}); err != nil {
		t.Fatal(err)
	}
	p := &fakeProbe{calls: map[string]int{}, states: map[string]statelock.State{
		"/state/live": statelock.Held, "/state/free": statelock.Free,
	}}
	j := newJanitor(f, Owner{Host: me}, JanitorOptions{})
	j.probe = p.probe
	network := func() Leftover {
		t.Helper()
		items, err := j.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(items, func(l Leftover) bool { return l.Kind == KindNetwork })
		if i < 0 {
			t.Fatal("network not listed")
		}
		return items[i]
	}

	// An idle live emulator shows only through its presence volume.
	if err := f.createVolume(t.Context(), "scf-emulator-live", maps.Clone(map[string]string{
		LabelManaged: "true", LabelSession: "l1", LabelOwnerHost: me.Name, LabelOwnerMachine: me.Machine,
		LabelStateDir: "/state/live", LabelRole: rolePresence,
	})); err != nil {
		t.Fatal(err)
	}
	old := f.add("scf-old", ownedBy(me, "/state/free", "f1"), true)
	old.cfg.network = DefaultNetwork
	if got := network().Status; got != StatusNetworkInUse {
		t.Errorf("with a live emulator: %v, want in use", got)
	}
	if err := f.removeVolume(t.Context(), "scf-emulator-live"); err != nil {
		t.Fatal(err)
	}
	foreign := f.add("someone-elses", map[string]string{"app": "db"}, true)
	foreign.cfg.network = DefaultNetwork
	if got := network().Status; got != StatusNetworkInUse {
		t.Errorf("with a foreign container attached: %v, want in use", got)
	}
	if err := f.remove(t.Context(), foreign.id); err != nil {
		t.Fatal(err)
	}
	// Only an abandoned container is attached: gc removes it, then the
	// network, in one pass.
	if got := network().Status; got != StatusNetworkUnused {
		t.Fatalf("with only abandoned objects: %v, want unused", got)
	}
	items, err := j.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := j.Remove(t.Context(), Abandoned(items)); err != nil || got[KindContainer] != 1 || got[KindNetwork] != 1 {
		t.Fatalf("Remove = %v, %v; want the container and the network", got, err)
	}
	if _, ok := f.networks[DefaultNetwork]; ok {
		t.Error("the unused network is still there")
	}
}
