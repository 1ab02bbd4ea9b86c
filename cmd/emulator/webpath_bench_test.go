package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/reqlog"
)

// upWebConfig is bench-web's web function: the static Go server of
// scripts/benchweb behind a stage, at concurrency 1 or more.
const upWebConfig = `functions:
  web:
    source: ./fn
    runtime: CustomRuntime
    type: http
    memorySize: 128
    timeout: 3
    concurrency: %d
services:
  S:
    stages: {release: $LATEST}
    apis:
      - {path: /web, method: ANY, function: web}
`

// upWeb runs what `emulator up --runtime process` runs (the console included,
// writing to nowhere; requests recorded as by default) in front of
// scripts/benchweb, and returns the gateway's address once a request is
// answered.
func upWeb(tb testing.TB, concurrency int) string {
	tb.Helper()
	if testRuntime() != "process" {
		tb.Skip("the web path's allocations are counted on the process runtime")
	}
	dir := tb.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "fn", "server"), "../../scripts/benchweb")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build scripts/benchweb: %v\n%s", err, out)
	}
	boot := "#!/bin/sh\nexec \"$(dirname \"$0\")/server\"\n"
	if err := os.WriteFile(filepath.Join(dir, "fn", "scf_bootstrap"), []byte(boot), 0o755); err != nil {
		tb.Fatal(err)
	}
	cfg := filepath.Join(dir, "emulator.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, upWebConfig, concurrency), 0o644); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := NewApp(ctx, AppConfig{
		ConfigPath: cfg, Runtime: "process", GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		StateDir: filepath.Join(dir, "state"), Seed: 7, IdleTimeout: time.Minute, MaxInstances: 8,
		RecordRequests: reqlog.DefaultPerFunction,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Events:         &console{out: io.Discard},
	})
	if err != nil {
		cancel()
		tb.Fatalf("NewApp: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			tb.Errorf("Run did not return after cancel")
		}
	})
	return app.gwLn.Addr().String()
}

// rawClient sends one fixed GET at a time on a kept connection and reads
// the answer without allocating, so a count of the process's allocations
// per request is the emulator's.
type rawClient struct {
	conn net.Conn
	br   *bufio.Reader
	req  []byte
}

func newRawClient(tb testing.TB, addr, path string) *rawClient {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return &rawClient{conn: conn, br: bufio.NewReaderSize(conn, 8<<10),
		req: []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")}
}

// do sends the request and reads the answer; it returns the status.
func (c *rawClient) do() (int, error) {
	if _, err := c.conn.Write(c.req); err != nil {
		return 0, err
	}
	status, length := 0, -1
	for first := true; ; first = false {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if first {
			if len(line) < 12 {
				return 0, io.ErrUnexpectedEOF
			}
			status = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
			continue
		}
		if len(line) <= 2 {
			break
		}
		const cl = "content-length:"
		if len(line) > len(cl) && bytes.EqualFold(line[:len(cl)], []byte(cl)) {
			length = 0
			for _, b := range bytes.TrimSpace(line[len(cl):]) {
				length = length*10 + int(b-'0')
			}
		}
	}
	if length < 0 {
		return status, fmt.Errorf("answer without Content-Length")
	}
	_, err := c.br.Discard(length)
	return status, err
}

// BenchmarkUpWebRequest drives warm requests, one at a time, through what
// `emulator up` runs (gateway server loop, routing, engine, instance lease,
// the proxy path, the console line, the log store, metrics and the request
// log) to bench-web's Go server; allocs/op counts every allocation of the
// emulator's process per request (the client allocates none).
//
//	go test ./cmd/emulator -run '^$' -bench UpWebRequest -benchtime 5000x
func BenchmarkUpWebRequest(b *testing.B) {
	for _, conc := range []int{1, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			c := newRawClient(b, upWeb(b, conc), "/release/web")
			for range 200 {
				if st, err := c.do(); err != nil || st != 200 {
					b.Fatalf("warm-up: status %d, %v", st, err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if st, err := c.do(); err != nil || st != 200 {
					b.Fatalf("status %d, %v", st, err)
				}
			}
		})
	}
}
