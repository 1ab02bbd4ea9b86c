package logstore

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func TestLinesGolden(t *testing.T) {
	base := Record{
		RequestID: "4a1c0e2e-58f1-11e8-89a9-5254005d5fdb",
		Function:  "B",
		Namespace: "default",
		Version:   "2",
		Qualifier: "release",
		Alias:     "release",
		StartTime: t0,
		Duration:  1250 * time.Microsecond,
		MemUsage:  31178752, // 29.73 MB
		MemoryMB:  128,
		Status:    200,
		RetMsg:    `"hello from scf"`,
		Log:       "event received\nprocessing {\"a\":1}\n",
	}
	errRec := base
	errRec.Status = 430
	errRec.RetMsg = `{"errorCode":1,"errorMessage":"user code exception caught","stackTrace":"Traceback:\n  boom","statusCode":430}`
	cold := base
	cold.ColdStart, cold.InitDuration = true, 236*time.Millisecond
	cold.Alias, cold.Qualifier, cold.Version = "", "$LATEST", "$LATEST"
	cold.Namespace = "dev"
	timeout := base
	timeout.Status, timeout.Duration, timeout.Log = 433, 3*time.Second, ""
	timeout.RetMsg = ""
	running := base
	running.Running, running.Status, running.RetMsg = true, 0, ""

	tests := []struct {
		name string
		r    Record
	}{
		{"success", base},
		{"error", errRec},
		{"cold_start", cold},
		{"timeout_no_body", timeout},
		{"running", running},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(Lines(tc.r), "\n") + "\n"
			path := filepath.Join("testdata", "lines_"+tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("Lines mismatch\n--- want\n%s--- got\n%s", want, got)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
	}{
		{"short kept", "hello", 100},
		{"exact kept", strings.Repeat("a", 100), 100},
		{"ascii", strings.Repeat("a", 1000) + strings.Repeat("b", 1000), 256},
		{"utf8 boundaries", strings.Repeat("é漢", 500), 257},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Truncate(tc.in, tc.limit)
			if len(got) > tc.limit {
				t.Errorf("len = %d, want <= %d", len(got), tc.limit)
			}
			if len(tc.in) <= tc.limit {
				if got != tc.in {
					t.Errorf("short input changed: %q", got)
				}
				return
			}
			if !strings.Contains(got, " bytes dropped ...") || !strings.HasPrefix(tc.in, got[:10]) || !strings.HasSuffix(tc.in, got[len(got)-10:]) {
				t.Errorf("head/tail/marker missing: %q", got)
			}
			if !utf8.ValidString(got) {
				t.Errorf("invalid UTF-8 in %q", got)
			}
		})
	}
}

func TestRetCodeAndBill(t *testing.T) {
	tests := []struct {
		r    Record
		want int
	}{
		{Record{Status: 200}, 0}, {Record{Status: 433}, -1}, {Record{Running: true}, 1}, {Record{Status: 439}, -1},
	}
	for _, tc := range tests {
		if got := tc.r.RetCode(); got != tc.want {
			t.Errorf("RetCode(%+v) = %d, want %d", tc.r, got, tc.want)
		}
	}
	bills := map[time.Duration]time.Duration{0: 0, 1: time.Millisecond, time.Millisecond: time.Millisecond, 1001 * time.Microsecond: 2 * time.Millisecond}
	for in, want := range bills {
		if got := BillDuration(in); got != want {
			t.Errorf("BillDuration(%v) = %v, want %v", in, got, want)
		}
	}
}

// TestLinesNamespacedKey: the engine files a function outside the default
// namespace under its registry key "ns/name"; the lines name the namespace
// once, as for a record that carries the plain name.
func TestLinesNamespacedKey(t *testing.T) {
	plain := Record{RequestID: "r-1", Function: "B", Namespace: "dev", Version: "1", Alias: "release", Status: 200,
		StartTime: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), Duration: time.Millisecond}
	keyed := plain
	keyed.Function = "dev/B"
	got, want := strings.Join(Lines(keyed), "\n"), strings.Join(Lines(plain), "\n")
	if got != want || !strings.Contains(got, " dev/B:1@release START") {
		t.Errorf("lines of dev/B:\n%s\nwant\n%s", got, want)
	}
}
