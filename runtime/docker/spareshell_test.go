//go:build unix

package docker

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":        `''`,
		"plain":   `'plain'`,
		"it's":    `'it'\''s'`,
		"''":      `''\'''\'''`,
		"$HOME":   `'$HOME'`,
		"a\nb":    "'a\nb'",
		"`id`":    "'`id`'",
		`\'"`:     `'\'\''"'`,
		"$(id) ;": `'$(id) ;'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestValidEnvName(t *testing.T) {
	for name, want := range map[string]bool{
		"A": true, "_x1": true, "SCF_RUNTIME_API": true,
		"": false, "1A": false, "a-b": false, "a.b": false, "A B": false, "A=B": false, "é": false, "$A": false,
	} {
		if got := validEnvName(name); got != want {
			t.Errorf("validEnvName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestOrderScriptRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		o    spareOrder
	}{
		{"empty command", spareOrder{Dir: "/"}},
		{"a name a shell cannot set", spareOrder{Env: []string{"a-b=1"}, Cmd: []string{"x"}}},
		{"a name a shell cannot unset", spareOrder{Unset: []string{"a;rm"}, Cmd: []string{"x"}}},
		{"a NUL byte", spareOrder{Env: []string{"A=x\x00y"}, Cmd: []string{"x"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if s, err := orderScript(c.o); err == nil {
				t.Errorf("orderScript = %q, want an error", s)
			}
		})
	}
}

// nasty values: each would run a command, split, or end the quoting if the
// script let the shell read it as code.
var nasty = []string{
	"it's", `"double" and \backslash\`, "$HOME ${HOME} $(touch PWNED)", "`touch PWNED`",
	"line1\nline2\n", "'; touch PWNED; '", "* ?", "", "trailing\\", "tab\there", "a=b=c",
}

// TestOrderScriptInARealShell runs order scripts as the spare's shell does
// (`sh -s`, the script on stdin) and compares the environment, folder and
// arguments the command gets, byte for byte, with the order's.
func TestOrderScriptInARealShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	envBin, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env on this machine")
	}
	work := t.TempDir()
	dir := filepath.Join(work, "it's a $dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var env []string
	for i, v := range nasty {
		env = append(env, "V"+string(rune('A'+i))+"="+v)
	}
	env = append(env, "PATH="+filepath.Dir(envBin)+":"+filepath.Dir(sh), "PWD="+dir)
	// env -0 prints the environment it got; the trailing args go through
	// `sh -c` so that argv is printed too.
	o := spareOrder{
		Unset: []string{"OLD", "PATH"},
		Env:   env,
		Dir:   dir,
		Cmd:   append([]string{"sh", "-c", `env -0; printf '%s\0' "$PWD" "$(pwd)" "$@"`, "sh"}, nasty...),
	}
	script, err := orderScript(o)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), sh, "-s")
	cmd.Dir = work
	cmd.Env = []string{"OLD=spare's", "KEPT=image", "PATH=" + filepath.Dir(sh)}
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh -s: %v: %s\nscript:\n%s", err, stderr.String(), script)
	}
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	// env -0's lines, then PWD, pwd and the arguments.
	n := len(fields) - 2 - len(nasty)
	if n < 0 {
		t.Fatalf("output %q too short", out)
	}
	got := map[string]string{}
	for _, kv := range fields[:n] {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
		delete(got, k)
	}
	if got["KEPT"] != "image" {
		t.Errorf("the image's KEPT = %q, want it kept", got["KEPT"])
	}
	delete(got, "KEPT")
	for k, v := range got {
		// A shell may export its own bookkeeping (dash: none; bash: SHLVL, _).
		if k != "SHLVL" && k != "_" {
			t.Errorf("unexpected %s=%q in the command's environment (OLD unset, OLDPWD never set)", k, v)
		}
	}
	if fields[n] != dir || fields[n+1] != dir {
		t.Errorf("PWD %q and working folder %q, want %q", fields[n], fields[n+1], dir)
	}
	if args := fields[n+2:]; !slices.Equal(args, nasty) {
		t.Errorf("arguments = %q, want %q", args, nasty)
	}
	for _, d := range []string{work, dir} {
		if _, err := os.Stat(filepath.Join(d, "PWNED")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a value ran as code: %s/PWNED exists", d)
		}
	}
}

func TestShellWithoutAnOrderExits(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	for name, in := range map[string]string{
		"nothing":       "",                                        // the runtime let go, or died
		"half an order": "{\ncd / || exit 127\nexec touch PWNED\n", // died while writing
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.CommandContext(t.Context(), sh, shellWaiter.cmd[1:]...)
			cmd.Dir, cmd.Stdin = dir, strings.NewReader(in)
			_ = cmd.Run() // its status does not matter, only that it ends
			if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
				t.Error("the shell ran part of an order")
			}
		})
	}
}

func TestShellFailedRemembersImagesWithoutAShell(t *testing.T) {
	d := &Docker{logger: slog.New(slog.DiscardHandler), spares: spareSet{noShell: map[string]bool{}}}
	d.shellFailed("a", errors.New(`cannot start container x: OCI runtime create failed: exec: "/bin/sh": stat /bin/sh: no such file or directory: unknown`))
	d.shellFailed("b", errors.New("cannot create container y: conflict"))
	if !d.spares.noShell["a"] || d.spares.noShell["b"] {
		t.Errorf("noShell = %v, want only a", d.spares.noShell)
	}
	for image, refused := range map[string]bool{"a": true, "b": false, StaticRuntimeImage: true, DebianRuntimeImage: false} {
		if err := d.shellRefuses(image, dockerSpec("/x", "Python3.9", "event")); (err != nil) != refused {
			t.Errorf("shellRefuses(%s) = %v, want refused %v", image, err, refused)
		}
	}
}
