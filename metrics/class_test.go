package metrics

import (
	"slices"
	"testing"
	"time"
)

func TestClass(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{0, Class2xx}, {200, Class2xx}, {202, Class2xx},
		{400, Class4xx}, {406, Class4xx}, {407, Class4xx}, {429, Class4xx}, {435, Class4xx},
		{436, Class4xx}, {437, Class4xx}, {442, Class4xx}, {443, Class4xx}, {499, Class4xx},
		{430, Class430}, {432, Class432}, {433, Class433}, {434, Class434},
		{439, Class5xx}, {444, Class5xx}, {445, Class5xx}, {446, Class5xx}, {447, Class5xx},
		{449, Class5xx}, {450, Class5xx}, {500, Class5xx}, {503, Class5xx}, {302, Class5xx}, {-1, Class5xx},
	}
	for _, tc := range tests {
		if got := Class(tc.status); got != tc.want {
			t.Errorf("Class(%d) = %s, want %s", tc.status, got, tc.want)
		}
	}
}

func TestVersionOrder(t *testing.T) {
	got := []string{"$LATEST", "10", "2", "beta", "1", "alpha"}
	slices.SortFunc(got, func(a, b string) int {
		if versionLess(a, b) {
			return -1
		}
		if versionLess(b, a) {
			return 1
		}
		return 0
	})
	if want := []string{"1", "2", "10", "alpha", "beta", "$LATEST"}; !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func TestLatencyBucketPrecision(t *testing.T) {
	const tolerance = 0.0625
	for d := time.Duration(1 << minExp); d < 1<<maxExp; d = d*107/100 + 1 {
		got := latencyValue(latencyIndex(d))
		if rel := float64(got-d) / float64(d); rel > tolerance || rel < -tolerance {
			t.Fatalf("duration %v reads as %v (%.1f%% off, tolerance %.2f%%)", d, got, rel*100, tolerance*100)
		}
	}
	for i := 1; i < numLatency; i++ { // buckets strictly increase
		if latencyValue(i) <= latencyValue(i-1) {
			t.Fatalf("bucket %d value %v not above bucket %d", i, latencyValue(i), i-1)
		}
	}
	edges := []struct {
		d    time.Duration
		want int
	}{{0, 0}, {-5, 0}, {1<<minExp - 1, 0}, {1 << minExp, 1}, {1 << maxExp, numLatency - 1}, {time.Hour, numLatency - 1}}
	for _, e := range edges {
		if got := latencyIndex(e.d); got != e.want {
			t.Errorf("latencyIndex(%v) = %d, want %d", e.d, got, e.want)
		}
	}
}
