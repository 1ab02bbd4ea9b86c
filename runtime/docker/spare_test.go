//go:build unix

package docker

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestSendOrderUnsetsTheSparesOwnEnvironment(t *testing.T) {
	for _, c := range []struct {
		name      string
		old, env  []string
		wantUnset []string
	}{
		{"gone and kept", []string{"A", "GONE", "bad-name"}, []string{"A=it's $x"}, []string{"GONE", "bad-name"}},
		{"nothing old", nil, []string{"B=a=b"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "go")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				t.Fatal(err)
			}
			sp := &spare{c: &container{name: "test"}, envKeys: c.old, ctl: w}
			if err := sendOrder(sp, &containerConfig{env: c.env, workDir: "/var/user", cmd: []string{"node", "x.js"}}); err != nil {
				t.Fatal(err)
			}
			if sp.ctl != nil {
				t.Error("the FIFO stays held after the order")
			}
			var o spareOrder
			if err := json.NewDecoder(r).Decode(&o); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.Unset, c.wantUnset) || !slices.Equal(o.Env, c.env) || o.Dir != "/var/user" || !slices.Equal(o.Cmd, []string{"node", "x.js"}) {
				t.Errorf("order = %+v, want unset %q and env %q", o, c.wantUnset, c.env)
			}
		})
	}
}

// runWaiter runs this test binary as the spare waiter on a new FIFO, feeds
// it what feed writes, and returns its output and exit status.
func runWaiter(t *testing.T, env []string, feed func(w *os.File)) (string, int) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "go")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], spareWaitArg, fifo)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // blocks until the waiter opens it
	if err != nil {
		t.Fatal(err)
	}
	feed(w)
	w.Close()
	err = cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

func TestSpareWaiter(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	dir := t.TempDir()
	t.Run("execs the order", func(t *testing.T) {
		out, code := runWaiter(t, []string{"PATH=/nonexistent", "OLD=spare", "KEPT=image"}, func(w *os.File) {
			o := spareOrder{Unset: []string{"OLD"}, Env: []string{"PATH=" + filepath.Dir(sh), "NEW=it's=new"}, Dir: dir,
				Cmd: []string{"sh", "-c", `echo "$NEW|${OLD-unset}|$KEPT|$(pwd)"`}}
			if err := json.NewEncoder(w).Encode(o); err != nil {
				t.Fatal(err)
			}
		})
		if want := "it's=new|unset|image|" + dir + "\n"; code != 0 || out != want {
			t.Errorf("waiter: exit %d, output %q, want %q", code, out, want)
		}
	})
	t.Run("let go without an order", func(t *testing.T) {
		if out, code := runWaiter(t, nil, func(*os.File) {}); code != 0 || out != "" {
			t.Errorf("waiter: exit %d, output %q, want 0 and nothing", code, out)
		}
	})
	t.Run("bad orders", func(t *testing.T) {
		for _, order := range []string{`{"cmd":[]}`, `{"cmd":["no-such-command"],"dir":"/"}`, `{"cmd":["sh"],"dir":"/no/such/dir"}`, `not json`} {
			out, code := runWaiter(t, []string{"PATH=" + filepath.Dir(sh)}, func(w *os.File) { w.WriteString(order) })
			if code != waiterExitBadOrder || !strings.HasPrefix(out, "scf spare: ") {
				t.Errorf("order %s: exit %d, output %q, want %d and the reason", order, code, out, waiterExitBadOrder)
			}
		}
	})
}

// thisEngine is a local engine as the daemon here describes itself.
func thisEngine(t *testing.T) engineInfo {
	t.Helper()
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[goruntime.GOARCH]
	if arch == "" || hostKernel() == "" {
		t.Skipf("no engine description for %s/%s", goruntime.GOOS, goruntime.GOARCH)
	}
	return engineInfo{osType: "linux", arch: arch, kernel: hostKernel(), os: "test"}
}

func TestFindWaiterOfThisBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	eng := thisEngine(t)
	w, err := findWaiter(exe, eng, hostKernel())
	if err != nil {
		t.Fatal(err)
	}
	if w.shell || w.files["emulator"] != exe || !slices.Contains(w.cmd, spareWaitArg) {
		t.Errorf("waiter = %+v", w)
	}
	arch, _ := elfArchOf(eng.arch)
	if interp, _, _ := elfDeps(exe, arch); interp != "" {
		// Dynamically linked: the loader runs it with the libraries staged beside.
		if w.files["ld.so"] != interp || w.cmd[0] != containerWaiterDir+"/ld.so" || len(w.files) < 3 {
			t.Errorf("dynamic waiter = %+v", w)
		}
		for name, p := range w.files {
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("file %s: %s is not a file (%v)", name, p, err)
			}
		}
	}
}

func TestFindWaiterRefusesWhatCannotRunInTheEngine(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	eng := thisEngine(t)
	other := map[string]string{"x86_64": "aarch64", "aarch64": "x86_64"}[eng.arch]
	script := filepath.Join(t.TempDir(), "emulator")
	if err := os.WriteFile(script, []byte("\xcf\xfa\xed\xfe not an ELF file (a Mach-O one, say)"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		exe  string
		eng  func(e engineInfo) engineInfo
		want string
	}{
		{"windows containers", exe, func(e engineInfo) engineInfo { e.osType = "windows"; return e }, "windows"},
		{"another architecture", exe, func(e engineInfo) engineInfo { e.arch = other; return e }, "the engine runs"},
		{"an unknown architecture", exe, func(e engineInfo) engineInfo { e.arch = "vax"; return e }, "vax"},
		{"another kernel (a VM)", exe, func(e engineInfo) engineInfo { e.kernel = "6.6.0-linuxkit"; e.os = "Docker Desktop"; return e }, "linuxkit"},
		{"not an ELF binary", script, func(e engineInfo) engineInfo { return e }, "bad magic"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := findWaiter(c.exe, c.eng(eng), hostKernel())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("findWaiter = %+v, %v; want an error about %q", w, err, c.want)
			}
		})
	}
}

func TestExistsInFollowsLinksInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"usr/bin", "etc/alternatives"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(root, "usr/bin/php8.2"), nil, 0o755))
	must(os.Symlink("/etc/alternatives/php", filepath.Join(root, "usr/bin/php")))
	must(os.Symlink("/usr/bin/php8.2", filepath.Join(root, "etc/alternatives/php")))
	must(os.Symlink("/etc/alternatives/none", filepath.Join(root, "usr/bin/none")))
	must(os.Symlink("loop", filepath.Join(root, "usr/bin/loop")))
	for rel, want := range map[string]bool{"usr/bin/php": true, "usr/bin/php8.2": true, "usr/bin/none": false, "usr/bin/loop": false, "usr/bin/missing": false} {
		t.Run(rel, func(t *testing.T) {
			if got := existsIn(root, rel); got != want {
				t.Errorf("existsIn(%s) = %v, want %v", rel, got, want)
			}
		})
	}
}
