package reqlog

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/diff"
)

func record(r *Recorder, fn, path string, at time.Time, h http.Header, body string) {
	r.Record(at, fn, "release", diff.Request{Method: "POST", Path: path, Header: h, Stage: "release", Host: "127.0.0.1:8080"}, []byte(body))
}

func TestRecentKeepsTheLastOfEachFunction(t *testing.T) {
	r := New(3, diff.NewRedactor())
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 5 {
		record(r, "B", "/p"+string(rune('0'+i)), t0.Add(time.Duration(i)*time.Second), nil, "")
	}
	record(r, "C", "/c", t0, nil, "")
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"all kept, oldest first", Query{Function: "B"}, []string{"/p2", "/p3", "/p4"}},
		{"limit takes the newest", Query{Function: "B", Limit: 2}, []string{"/p3", "/p4"}},
		{"since", Query{Function: "B", Since: t0.Add(4 * time.Second)}, []string{"/p4"}},
		{"other function", Query{Function: "C"}, []string{"/c"}},
		{"unknown function", Query{Function: "X"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, l := range r.Recent(tc.q) {
				got = append(got, l.Path)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRecentRedactsAndCutsBodies(t *testing.T) {
	r := New(10, diff.NewRedactor("X-User-Token"))
	h := http.Header{"Authorization": {"Bearer s3cret"}, "X-User-Token": {"t0k"}, "Accept": {"*/*"}}
	big := strings.Repeat("x", BodyBytes+10)
	record(r, "B", "/a", time.Now(), h, big)
	record(r, "B", "/b", time.Now(), h, `{"a":1}`)
	got := r.Recent(Query{Function: "B"})
	if len(got) != 2 {
		t.Fatalf("got %d lines, want 2", len(got))
	}
	for _, l := range got {
		if l.Header.Get("Authorization") != diff.Masked || l.Header.Get("X-User-Token") != diff.Masked || l.Header.Get("Accept") != "*/*" {
			t.Errorf("%s: headers %v, want credentials masked and Accept kept", l.Path, l.Header)
		}
	}
	if len(got[0].Body) != BodyBytes || !got[0].Truncated {
		t.Errorf("big body: %d bytes, truncated %v; want %d, true", len(got[0].Body), got[0].Truncated, BodyBytes)
	}
	if got[1].Body != `{"a":1}` || got[1].Truncated {
		t.Errorf("small body %q truncated %v", got[1].Body, got[1].Truncated)
	}
	if h.Get("Authorization") != "Bearer s3cret" {
		t.Errorf("the caller's header was changed: %v", h)
	}
}

func TestFollow(t *testing.T) {
	r := New(0, diff.NewRedactor())
	ctx, cancel := context.WithCancel(t.Context())
	onlyB, all := r.Follow(ctx, "B"), r.Follow(ctx, "")
	record(r, "C", "/c", time.Now(), http.Header{"Cookie": {"k=v"}}, "")
	record(r, "B", "/b", time.Now(), nil, "")
	if l := <-onlyB; l.Path != "/b" {
		t.Errorf("B's follower got %s first, want /b", l.Path)
	}
	if l := <-all; l.Path != "/c" || l.Header.Get("Cookie") != diff.Masked {
		t.Errorf("the follower of all got %s %v first, want /c with the cookie masked", l.Path, l.Header)
	}
	if got := r.Recent(Query{Function: "B"}); len(got) != 0 {
		t.Errorf("a recorder keeping 0 kept %d", len(got))
	}
	cancel()
	for range onlyB { // closed once ctx ends
	}
}

// BenchmarkRecord is the recorder's share of a gateway request.
func BenchmarkRecord(b *testing.B) {
	r := New(DefaultPerFunction, diff.NewRedactor())
	h := http.Header{"User-Agent": {"bench"}, "Accept": {"*/*"}}
	body := []byte(`{"user":"bob","n":1}`)
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		r.Record(at, "B", "release", diff.Request{Method: "POST", Path: "/users/1", Header: h, Stage: "release"}, body)
	}
}
