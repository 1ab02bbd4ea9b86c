package logstore

import (
	"log/slog"
	"strings"
	"testing"
)

// BenchmarkAppend measures the request-path cost of recording one
// invocation: truncation checks, the ring, the writer queue and followers.
// The disk writer runs concurrently, as in production.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name string
		dir  bool
	}{{"memory", false}, {"disk", true}} {
		b.Run(bc.name, func(b *testing.B) {
			opts := Options{}
			if bc.dir {
				opts.Dir = b.TempDir()
			}
			s, err := Open(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			r := rec("B", 1, "2", 200)
			r.Log = strings.Repeat("a log line of typical length\n", 8)
			r.RetMsg = `{"statusCode":200,"body":"hello"}`
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				r.RequestID = "req"
				if err := s.Append(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDiskWrite measures the writer goroutine's share of one record:
// encoding, the file write and (amortised) rotation. Added to
// BenchmarkAppend/memory it is the whole CPU cost of logging a request.
func BenchmarkDiskWrite(b *testing.B) {
	d, err := openDisk(b.TempDir(), DefaultMaxBytesPerFunction, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer d.close()
	batch := make([]Record, 100)
	for i := range batch {
		batch[i] = rec("B", i, "2", 200)
		batch[i].Namespace = "default"
		batch[i].Log = strings.Repeat("a log line of typical length\n", 8)
		batch[i].RetMsg = `{"statusCode":200,"body":"hello"}`
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d.write(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/record")
}

// BenchmarkEncode measures encoding one typical record as a JSON line.
func BenchmarkEncode(b *testing.B) {
	r := rec("B", 1, "2", 200)
	r.Namespace = "default"
	r.Log = strings.Repeat("a log line of typical length\n", 8)
	r.RetMsg = `{"statusCode":200,"body":"hello"}`
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = appendJSON(buf[:0], &r)
	}
	b.SetBytes(int64(len(buf)))
}
