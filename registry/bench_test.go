package registry

import (
	"context"
	"testing"
)

func benchAlias() Alias {
	return Alias{Name: "release", FunctionVersion: "1",
		Weights: []VersionWeight{{Version: "2", Weight: 0.1}},
		Matches: []VersionMatch{{Version: "3", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"}},
	}
}

func BenchmarkDecide(b *testing.B) {
	a := mustCompile(b, benchAlias())
	keys := mapKeys{"User": "Alice"} // rule miss, then weights
	b.ReportAllocs()
	r := 0.0
	for b.Loop() {
		r += 0.013
		if r >= 1 {
			r = 0
		}
		Decide(a, keys, r)
	}
}

func BenchmarkResolve(b *testing.B) {
	benchResolve(b, benchAlias())
}

// BenchmarkResolveStickyShadow adds a sticky header and a 50% shadow copy,
// the two draws the emulator's extensions make per request.
func BenchmarkResolveStickyShadow(b *testing.B) {
	a := benchAlias()
	a.StickyHeader = "User"
	a.Shadow = &Shadow{Version: "3", Weight: 0.5}
	benchResolve(b, a)
}

func benchResolve(b *testing.B, alias Alias) {
	src := b.TempDir()
	r, err := Open(Options{Dir: b.TempDir(), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if err := r.Define(ctx, testSpec("B", src)); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := r.Publish(ctx, "B", ""); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.CreateAlias("B", alias); err != nil {
		b.Fatal(err)
	}
	keys := mapKeys{"User": "Alice"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Resolve("B", "release", keys); err != nil {
			b.Fatal(err)
		}
	}
}
