package logstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
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

// BenchmarkEncode measures encoding one typical record as a JSON line,
// appendJSON against the encoding/json Encoder it replaces.
func BenchmarkEncode(b *testing.B) {
	r := rec("B", 1, "2", 200)
	r.Namespace = "default"
	r.Log = strings.Repeat("a log line of typical length\n", 8)
	r.RetMsg = `{"statusCode":200,"body":"hello"}`
	b.Run("append", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = appendJSON(buf[:0], &r)
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encoding-json", func(b *testing.B) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := enc.Encode(&r); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(buf.Len()))
	})
}

// BenchmarkDiskRotate measures the writer's cost per record for a busy web
// function: one op appends rotateRecords records of about 330 bytes in
// batches of 1000 (100 ms at 10,000 req/s) to a fresh directory with the
// default bound, so every op crosses the same rotations (four).
func BenchmarkDiskRotate(b *testing.B) {
	const rotateRecords, batchLen = 50_000, 1000
	batch := make([]Record, batchLen)
	for i := range batch {
		batch[i] = webRecord(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		d, err := openDisk(b.TempDir(), DefaultMaxBytesPerFunction, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for range rotateRecords / batchLen {
			d.write(batch)
		}
		b.StopTimer()
		d.close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rotateRecords), "ns/record")
}

// webRecord is a typical gateway invocation's record, about 330 bytes as JSON.
func webRecord(i int) Record {
	return Record{
		RequestID: fmt.Sprintf("3f0c2a9e-5b1d-4c7a-9e2f-%012d", i), Function: "web", Namespace: "default",
		Qualifier: "release", Version: "3", Alias: "release", Source: SourceGateway, Stage: "release",
		StartTime: t0.Add(time.Duration(i) * 100 * time.Microsecond), Duration: 1234567, BillDuration: 2 * time.Millisecond,
		MemUsage: 31 << 20, MemoryMB: 128, Status: 200, RetMsg: `"hello"`,
	}
}
