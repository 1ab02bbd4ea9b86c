package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/scf-emulator/emulator/diff"
)

// comparingBackend is a shadowBackend that is also a Comparer: it keeps
// the samples it is given.
type comparingBackend struct {
	*shadowBackend
	rerun bool

	mu      sync.Mutex // guards samples
	samples []diff.Sample
}

func (c *comparingBackend) WantRerun(Target, string) bool { return c.rerun }

func (c *comparingBackend) Compare(s diff.Sample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.samples = append(c.samples, s)
}

func (c *comparingBackend) only(t *testing.T) diff.Sample {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.samples) != 1 {
		t.Fatalf("%d samples compared, want 1", len(c.samples))
	}
	return c.samples[0]
}

func TestDiffEvent(t *testing.T) {
	tests := []struct {
		name      string
		diffMode  bool
		rerun     bool
		candidate func(out []byte) ([]byte, error)
		want      []string // the differences between the primary and the copy
	}{
		{"no diff mode, nothing compared", false, false, nil, nil},
		{"same answer", true, false, nil, nil},
		{"changed field, with a noise sample", true, true,
			func(out []byte) ([]byte, error) {
				return []byte(strings.Replace(string(out), `\"Stage\":\"release\"`, `\"Stage\":\"prod\"`, 1)), nil
			},
			[]string{"$.Stage (changed)"}},
		// The copy's failure is answered as the client's would be, naming the
		// same request id, so only what really differs shows.
		{"candidate fails", true, false, func([]byte) ([]byte, error) { return nil, context.DeadlineExceeded },
			[]string{"status (changed)", "$.Function (removed)", "$.Qualifier (removed)", "$.Stage (removed)", "$.Template (removed)",
				"$.Version (removed)", "$.errorCode (added)", "$.errorMessage (added)", "$.path (removed)", "$.pathParameters (removed)",
				"$.requestId (added)", "$.statusCode (added)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fb := &fakeBackend{}
			fb.ResolveFn = func(_ context.Context, fn, q string, _ http.Header) (Target, error) {
				return Target{Function: fn, Qualifier: q, Version: "1", Route: "primary", Type: TypeEvent, TimeoutSec: 3,
					Shadow: "2", ShadowDiff: tc.diffMode}, nil
			}
			fb.InvokeFn = func(_ context.Context, tg Target, _ string, ev []byte) ([]byte, error) {
				v := tg.Version
				tg.Version = "1" // the copy answers as the primary does
				out, err := echo(tg, ev)
				if v == "2" && tc.candidate != nil {
					return tc.candidate(out)
				}
				return out, err
			}
			cb := &comparingBackend{shadowBackend: &shadowBackend{fakeBackend: fb}, rerun: tc.rerun}
			g := newTestGateway(t, cb, grayscale(), Options{})
			w := do(g, http.MethodPost, "/release/hello?q=1", strings.NewReader(`{"a":1}`), map[string]string{"Authorization": "x"})
			cb.runAll(t.Context())
			if !tc.diffMode {
				if len(cb.samples) != 0 {
					t.Fatalf("compared %d without diff mode", len(cb.samples))
				}
				return
			}
			s := cb.only(t)
			if s.Endpoint != "POST /hello" || s.Primary != "1" || s.Candidate != "2" || s.Alias != "release" ||
				s.Request.Path != "/release/hello?q=1" || s.Request.Body != `{"a":1}` {
				t.Errorf("sample = %+v", s)
			}
			if s.PrimaryAnswer.Status != w.Code || s.PrimaryAnswer.Body != w.Body.String() {
				t.Errorf("primary answer %d %q, client got %d %q", s.PrimaryAnswer.Status, s.PrimaryAnswer.Body, w.Code, w.Body)
			}
			if (s.Rerun != nil) != tc.rerun {
				t.Errorf("rerun = %v, want %v", s.Rerun, tc.rerun)
			}
			if s.Rerun != nil && len(diff.Compare(s.PrimaryAnswer, *s.Rerun)) != 0 {
				t.Errorf("rerun differs from primary: %v", diff.Compare(s.PrimaryAnswer, *s.Rerun))
			}
			var got []string
			for _, d := range diff.Compare(s.PrimaryAnswer, s.CandidateAnswer) {
				got = append(got, d.String())
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("differences %q, want %q\nprimary %+v\ncandidate %+v", got, tc.want, s.PrimaryAnswer, s.CandidateAnswer)
			}
		})
	}
}

// A web function's answer streams to the client unchanged while its first
// part is kept for the comparison, and the copy's answer is captured too.
func TestDiffWeb(t *testing.T) {
	big := strings.Repeat("x", diff.DefaultBodyBytes+10)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if r.Header.Get("X-Scf-Version") == "4" {
			w.Header().Set("Cache-Control", "no-store")
		}
		_, _ = io.WriteString(w, big[:len(big)-1]+r.Header.Get("X-Scf-Version")[:1])
	}))
	t.Cleanup(up.Close)
	fb := webBackend(up.Listener.Addr().String())
	base := fb.ResolveFn
	fb.ResolveFn = func(ctx context.Context, fn, q string, h http.Header) (Target, error) {
		tg, err := base(ctx, fn, q, h)
		tg.Shadow, tg.ShadowDiff = "4", true
		return tg, err
	}
	cb := &comparingBackend{shadowBackend: &shadowBackend{fakeBackend: fb}, rerun: true}
	srv := startGateway(t, newTestGateway(t, cb, webServices(), Options{}))
	resp, err := http.Post(srv.URL+"/release/app/x", "text/plain", strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(answer) != len(big) || !strings.HasSuffix(string(answer), "3") {
		t.Fatalf("client got %d bytes, want the whole %d-byte answer of version 3", len(answer), len(big))
	}
	cb.runAll(t.Context())
	s := cb.only(t)
	if len(s.PrimaryAnswer.Body) != diff.DefaultBodyBytes || !s.PrimaryAnswer.Truncated || s.Request.Body != "hi" {
		t.Errorf("primary kept %d bytes (truncated %v), request body %q", len(s.PrimaryAnswer.Body), s.PrimaryAnswer.Truncated, s.Request.Body)
	}
	if s.Rerun == nil || s.Rerun.Header.Get("Cache-Control") != "" {
		t.Errorf("rerun = %+v, want the primary's answer again", s.Rerun)
	}
	got := diff.Paths(diff.Compare(s.PrimaryAnswer, s.CandidateAnswer))
	if strings.Join(got, "|") != "header.Cache-Control" {
		t.Errorf("differences %q, want the added header only (bodies differ past the kept part)", got)
	}
}

// benchShadower is benchBackend with a shadow copy on every request, which
// it drops, so a benchmark measures the request path alone.
type benchShadower struct {
	benchBackend
	diff bool
}

func (s benchShadower) Resolve(ctx context.Context, fn, q string, h http.Header) (Target, error) {
	t, err := s.benchBackend.Resolve(ctx, fn, q, h)
	t.Shadow, t.ShadowDiff = "3", s.diff
	return t, err
}

func (benchShadower) Shadow(Target, func(context.Context)) {}
func (benchShadower) ShadowSkipped(Target, string)         {}
func (benchShadower) WantRerun(Target, string) bool        { return false }
func (benchShadower) Compare(diff.Sample)                  {}

// BenchmarkDiffRequestPath is what diff mode adds to the client's request:
// capturing the answer as it is written. Comparing happens on the copy's
// goroutine (diff.BenchmarkCompare).
func BenchmarkDiffRequestPath(b *testing.B) {
	for _, mode := range []struct {
		name string
		diff bool
	}{{"shadow", false}, {"shadow+diff", true}} {
		b.Run(mode.name, func(b *testing.B) {
			g := New(benchShadower{diff: mode.diff}, Options{})
			defer g.Close()
			if err := g.SetServices(grayscale()); err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/release/hello?a=b", nil)
			r.Header.Set("User-Agent", "bench")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				g.ServeHTTP(w, r)
			}
		})
	}
}
