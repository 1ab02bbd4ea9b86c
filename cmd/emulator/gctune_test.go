package main

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	for _, tc := range []struct {
		name        string
		env         map[string]string
		wantApplied bool
	}{
		{"nothing set", nil, true},
		{"GOGC set", map[string]string{"GOGC": "100"}, false},
		{"GOGC off", map[string]string{"GOGC": "off"}, false},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The process's own settings, restored after.
			percent := debug.SetGCPercent(100)
			limit := debug.SetMemoryLimit(math.MaxInt64)
			defer func() {
				debug.SetGCPercent(percent)
				debug.SetMemoryLimit(limit)
			}()
			applied := tuneGC(func(k string) string { return tc.env[k] })
			if applied != tc.wantApplied {
				t.Fatalf("applied = %v, want %v", applied, tc.wantApplied)
			}
			gotPercent, gotLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
			wantPercent, wantLimit := 100, int64(math.MaxInt64)
			if tc.wantApplied {
				wantPercent, wantLimit = upGCPercent, upMemoryLimit
			}
			if gotPercent != wantPercent || gotLimit != wantLimit {
				t.Errorf("GC percent %d, memory limit %d; want %d, %d", gotPercent, gotLimit, wantPercent, wantLimit)
			}
		})
	}
}
