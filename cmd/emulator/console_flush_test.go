package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/gateway"
)

// TestConsoleRequestLinesKeepOrder checks that batched request lines are
// written before any later output, and on their own within a bounded time.
func TestConsoleRequestLinesKeepOrder(t *testing.T) {
	var out bytes.Buffer
	c := &console{out: &out}
	read := func() string {
		c.mu.Lock()
		defer c.mu.Unlock()
		return out.String()
	}
	c.Request(gateway.Record{Time: time.Now(), Method: "GET", Stage: "release", Path: "/a", Status: 200})
	c.Request(gateway.Record{Time: time.Now(), Method: "POST", Stage: "release", Path: "/b", Status: 200})
	c.printf("after\n")
	got := read()
	a, b, after := strings.Index(got, "/release/a"), strings.Index(got, "/release/b"), strings.Index(got, "after")
	if a < 0 || b < a || after < b {
		t.Fatalf("output %q: want /release/a, /release/b, then after", got)
	}

	c.Request(gateway.Record{Time: time.Now(), Method: "GET", Stage: "release", Path: "/c", Status: 200})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(read(), "/release/c") {
		if time.Now().After(deadline) {
			t.Fatalf("request line not written within 10 s: %q", read())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
