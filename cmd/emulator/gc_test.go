package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fatih/color"

	"github.com/scf-emulator/emulator/runtime/docker"
)

func TestAge(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"unknown", time.Time{}, "-"},
		{"seconds", now.Add(-42 * time.Second), "42s"},
		{"minutes", now.Add(-5*time.Minute - 10*time.Second), "5m"},
		{"hours", now.Add(-30 * time.Hour), "30h"},
		{"days", now.Add(-72 * time.Hour), "3d"},
		{"clock skew", now.Add(time.Minute), "0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := age(tc.t, now); got != tc.want {
				t.Errorf("age = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderLeftovers(t *testing.T) {
	color.NoColor = true
	now := time.Now()
	items := []docker.Leftover{
		{Kind: docker.KindContainer, Name: "scf-a-1", Status: docker.StatusUnlocked, Created: now.Add(-2 * time.Hour),
			Owner: docker.Owner{Host: docker.Host{Name: "laptop"}, StateDir: "/p/.emulator"}},
		{Kind: docker.KindContainer, Name: "scf-b-1", Status: docker.StatusLive, Created: now,
			Owner: docker.Owner{Host: docker.Host{Name: "laptop"}, StateDir: "/q/.emulator"}},
		{Kind: docker.KindContainer, Name: "scf-old-1", Status: docker.StatusNoOwner},
	}
	tests := []struct {
		name string
		all  bool
		want map[string]string // name -> the line's end
	}{
		{"abandoned only", false, map[string]string{"scf-a-1": "remove", "scf-b-1": "keep", "scf-old-1": "keep"}},
		{"all", true, map[string]string{"scf-a-1": "remove", "scf-b-1": "remove", "scf-old-1": "remove"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			renderLeftovers(&b, items, tc.all, now)
			for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
				f := strings.Fields(line)
				if want := tc.want[f[1]]; f[len(f)-1] != want {
					t.Errorf("%s: line %q: action %q, want %q", f[1], line, f[len(f)-1], want)
				}
			}
			out := b.String()
			if !strings.Contains(out, "/p/.emulator") || !strings.Contains(out, "2h") || !strings.Contains(out, "abandoned: unlocked") {
				t.Errorf("listing lacks the owner, the age or the state:\n%s", out)
			}
		})
	}
	if got := countKinds(items); got != "3 container(s)" {
		t.Errorf("countKinds = %q", got)
	}
	if got := formatRemoved(docker.Removed{docker.KindVolume: 2, docker.KindNetwork: 1}); got != "2 volume(s), 1 network(s)" {
		t.Errorf("formatRemoved = %q", got)
	}
}
