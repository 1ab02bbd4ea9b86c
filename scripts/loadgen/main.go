package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/scf-emulator/emulator/loadgen"
)

// headerFlag collects repeated -H 'Key: Value' flags.
type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string {
	if f.h == nil {
		return ""
	}
	var b strings.Builder
	_ = f.h.Write(&b)
	return strings.TrimSpace(b.String())
}

func (f *headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return fmt.Errorf("header %q is not of the form 'Key: Value'", s)
	}
	f.h.Add(k, strings.TrimSpace(v))
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(runMain(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// runMain is main without the process: it returns the exit status.
// 0: at least one response arrived; 1: none did; 2: bad flags.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := loadgen.Plan{Header: http.Header{}}
	headers := &headerFlag{h: cfg.Header}
	fs.StringVar(&cfg.URL, "url", "", "URL to request (required)")
	fs.StringVar(&cfg.Method, "method", http.MethodGet, "HTTP method")
	fs.IntVar(&cfg.Requests, "n", 1000, "number of requests")
	fs.IntVar(&cfg.Workers, "c", 8, "concurrent workers")
	fs.DurationVar(&cfg.Timeout, "timeout", 60*time.Second, "time budget for the whole run; unsent requests are dropped")
	fs.Var(headers, "H", "request header 'Key: Value' (repeatable)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "loadgen: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if cfg.Timeout <= 0 {
		fmt.Fprintf(stderr, "loadgen: -timeout %s: must be positive\n", cfg.Timeout)
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 2
	}
	cfg.Workers = min(cfg.Workers, cfg.Requests)

	if h := cfg.Header.Get("Host"); h != "" {
		cfg.Host = h
	}
	s := summarize(cfg, loadgen.Run(ctx, nil, cfg))

	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(s); err != nil {
			fmt.Fprintf(stderr, "loadgen: %v\n", err)
			return 1
		}
	} else {
		writeText(stdout, s)
	}
	if s.Completed == 0 {
		fmt.Fprintf(stderr, "loadgen: no response from %s: %s\n", cfg.URL, s.FirstError)
		return 1
	}
	return 0
}
