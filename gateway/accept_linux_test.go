package gateway

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const outOfFilesChild = "GATEWAY_TEST_OUT_OF_FILES"

// TestServerOutOfFiles: a server whose process has no file descriptor left
// (a lowered RLIMIT_NOFILE, in a child process) keeps serving its
// connected keep-alive clients, holds the new one, logs the failure once,
// and serves the new one when a descriptor frees up.
func TestServerOutOfFiles(t *testing.T) {
	if os.Getenv(outOfFilesChild) != "" {
		serveOutOfFiles(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerOutOfFiles$", "-test.count=1")
	cmd.Env = append(os.Environ(), outOfFilesChild+"=1")
	var logs logLines
	cmd.Stderr = &logs
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the child's server closes and it exits
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("child: %v\n%s", err, logs.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("the child did not exit (%v)\n%s", <-exited, logs.String())
		}
	})
	var addr string
	var room int
	if _, err := fmt.Fscanln(stdout, &addr, &room); err != nil {
		t.Fatalf("child's address: %v\n%s", err, logs.String())
	}
	go io.Copy(io.Discard, stdout)

	keep := make([]*rawClient, room) // they take the descriptors left
	for i := range keep {
		keep[i] = newRawClient(t, addr, "/keep")
		defer keep[i].c.Close()
		if st, err := keep[i].do(); err != nil || st != 200 {
			t.Fatalf("keep-alive client %d: %d, %v", i, st, err)
		}
	}
	answer := make(chan string, 1)
	go func() {
		answer <- exchangeRaw(t, addr, "GET /new HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	}()
	eventually(t, "the child out of descriptors", func() bool { return strings.Contains(logs.String(), "too many open files") })
	if st, err := keep[0].do(); err != nil || st != 200 {
		t.Fatalf("keep-alive client out of descriptors: %d, %v", st, err)
	}
	keep[room-1].c.Close()
	if got := <-answer; !strings.HasSuffix(got, "ok /new") {
		t.Fatalf("the new client, a descriptor free again: %q\n%s", got, logs.String())
	}
	// Room for two again: a later client leaves one, and the run of
	// failures is over once accepts went the quiet time without failing.
	keep[0].c.Close()
	time.Sleep(testQuiet + 100*time.Millisecond)
	if got := exchangeRaw(t, addr, "GET /later HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"); !strings.HasSuffix(got, "ok /later") {
		t.Fatalf("a later client: %q\n%s", got, logs.String())
	}
	eventually(t, "the recovery logged", func() bool { return logs.count("accepting again") == 1 })
	if n := logs.count("accept failed"); n != 1 {
		t.Errorf("accept failures logged %d times, want once:\n%s", n, logs.String())
	}
}

// serveOutOfFiles is the child: it serves on loopback with two file
// descriptors left, until its stdin closes.
func serveOutOfFiles(t *testing.T) {
	const room = 2
	l := listenLoopback(t)
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok "+r.URL.Path) }),
		MaxConns: 100, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	s.init()
	s.acc.quiet = testQuiet
	limit, err := limitLeaving(room)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	fmt.Println(l.Addr(), room)
	io.Copy(io.Discard, os.Stdin)
	s.Close()
	if err := <-done; err != http.ErrServerClosed {
		t.Errorf("Serve = %v", err)
	}
}

// limitLeaving returns the RLIMIT_NOFILE under which the process can open
// exactly room more files: new descriptors take the lowest free numbers.
func limitLeaving(room int) (uint64, error) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	var open []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, err := os.Readlink("/proc/self/fd/" + e.Name()); err != nil {
			continue // the directory's own, closed now
		}
		open = append(open, n)
	}
	slices.Sort(open)
	limit, below := 0, 0 // below: open descriptors under limit
	for limit-below < room {
		if below < len(open) && open[below] == limit {
			below++
		}
		limit++
	}
	return uint64(limit), nil
}
