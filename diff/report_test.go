package diff

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// samples makes n requests to GET /users/{id} whose primary answers with a
// timestamp that differs on every run; the candidate renames the user on
// every changeEvery-th request.
func samples(n, changeEvery int, t0 time.Time, reruns func(i int) bool) []Sample {
	var out []Sample
	for i := range n {
		ans := func(run int, name string) Answer {
			return Answer{Status: 200, Header: http.Header{"Content-Type": {"application/json"}},
				Body: fmt.Sprintf(`{"id":%d,"name":%q,"ts":%d}`, i, name, i*10+run)}
		}
		s := Sample{Time: t0.Add(time.Duration(i) * time.Second), Function: "B", Alias: "release", Primary: "1", Candidate: "2",
			Endpoint: "GET /users/{id}", Request: Request{Method: "GET", Path: fmt.Sprintf("/users/%d", i), Header: http.Header{"Authorization": {"secret"}}},
			PrimaryAnswer: ans(0, "ann"), CandidateAnswer: ans(1, "ann")}
		if changeEvery > 0 && i%changeEvery == 0 {
			s.CandidateAnswer = ans(1, "Ann")
		}
		if reruns(i) {
			r := ans(2, "ann")
			s.Rerun = &r
		}
		out = append(out, s)
	}
	return out
}

func TestReport(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		changeEvery int
		reruns      func(int) bool
		since       time.Time
		wantGroups  map[string]float64 // path -> share
		wantNoise   map[string]float64
		wantRate    float64
		wantCompare int
	}{
		{"changed field and noisy timestamp", 4, func(i int) bool { return i < 3 }, time.Time{},
			map[string]float64{"$.name": 0.25}, map[string]float64{"$.ts": 1}, 0.25, 40},
		{"without noise samples the timestamp counts", 4, func(int) bool { return false }, time.Time{},
			map[string]float64{"$.name": 0.25, "$.ts": 1}, nil, 1, 40},
		{"same answers but noise", 0, func(i int) bool { return i == 7 }, time.Time{},
			nil, map[string]float64{"$.ts": 1}, 0, 40},
		{"since keeps the window, noise from all", 4, func(i int) bool { return i < 3 }, t0.Add(20 * time.Second),
			map[string]float64{"$.name": 0.25}, map[string]float64{"$.ts": 1}, 0.25, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.TempDir(), NewRedactor(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, smp := range samples(40, tt.changeEvery, t0, tt.reruns) {
				s.Add(smp)
			}
			rep := s.Report(Query{Function: "B", Alias: "release", Since: tt.since})
			if rep.Compared != tt.wantCompare || math.Abs(rep.DiffRate-tt.wantRate) > 1e-9 {
				t.Fatalf("compared %d rate %v, want %d and %v", rep.Compared, rep.DiffRate, tt.wantCompare, tt.wantRate)
			}
			if rep.Primary != "1" || rep.Candidate != "2" || len(rep.Endpoints) != 1 || rep.Endpoints[0].Endpoint != "GET /users/{id}" {
				t.Fatalf("report = %+v", rep)
			}
			checkGroups(t, "groups", rep.Endpoints[0].Groups, tt.wantGroups)
			checkGroups(t, "noise", rep.Endpoints[0].Noise, tt.wantNoise)
		})
	}
}

func checkGroups(t *testing.T, what string, got []Group, want map[string]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %+v, want %v", what, got, want)
		return
	}
	for _, g := range got {
		share, ok := want[g.Path]
		if !ok || math.Abs(g.Share-share) > 1e-9 {
			t.Errorf("%s: %s share %v, want %v (listed: %v)", what, g.Path, g.Share, share, ok)
		}
		if g.Example == nil {
			t.Errorf("%s: %s has no example", what, g.Path)
		} else if g.Example.Request.Header.Get("Authorization") != Masked {
			t.Errorf("%s: example's Authorization not masked: %q", what, g.Example.Request.Header.Get("Authorization"))
		}
	}
}

func TestStorePersistsAndBounds(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, NewRedactor(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, smp := range samples(MaxRecords+50, 2, t0, func(i int) bool { return i < 3 }) {
		s.Add(smp)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, NewRedactor(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	rep := s2.Report(Query{Function: "B"})
	if rep.Compared != MaxRecords {
		t.Errorf("compared %d after reopening, want the cap %d", rep.Compared, MaxRecords)
	}
	if len(s2.state.Examples) > MaxExamples || len(s2.state.Examples) != len(s2.state.ExampleOrder) {
		t.Errorf("examples %d (order %d), cap %d", len(s2.state.Examples), len(s2.state.ExampleOrder), MaxExamples)
	}
	s2.Reset("B")
	if rep := s2.Report(Query{Function: "B"}); rep.Compared != 0 {
		t.Errorf("compared %d after Reset", rep.Compared)
	}

	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, NewRedactor(), nil); err == nil {
		t.Error("Open of a torn file: no error")
	}
}

func TestWantRerun(t *testing.T) {
	s, err := Open(t.TempDir(), NewRedactor(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	for range 100 {
		if s.WantRerun("B", "1", "GET /") {
			n++
		}
	}
	if want := 10 + (100-10)/10; n != want { // NoiseSample: the first 10, then one in 10
		t.Errorf("%d reruns of 100, want %d", n, want)
	}
}

// BenchmarkAdd is the cost the Store adds per compared request: compare,
// noise compare on a sample, and keeping the record.
func BenchmarkAdd(b *testing.B) {
	s, err := Open(b.TempDir(), NewRedactor(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	smps := samples(1000, 4, time.Now(), func(i int) bool { return i%10 == 0 })
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Add(smps[i%len(smps)])
		i++
	}
}
