package trigger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// settle is the tests' BucketOptions.Settle. os.WriteFile creates the file,
// then writes it: on a loaded machine the two events can be further apart
// than the default 50 ms, and the object was sent at size 0 (then again).
// A generous settle keeps one write one event.
const settle = 500 * time.Millisecond

// startBucket runs a bucket on a fresh folder until the test ends.
func startBucket(t *testing.T, opts BucketOptions) *Bucket {
	t.Helper()
	opts.Settle = settle
	b, err := NewBucket(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = b.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; _ = b.Close() })
	return b
}

func subChan(id string, f COSFilter) (COSSub, chan COSRecord) {
	ch := make(chan COSRecord, 16)
	return COSSub{ID: id, Function: id, Filter: f, Deliver: func(_ context.Context, ev COSEvent) error {
		for _, r := range ev.Records {
			ch <- r
		}
		return nil
	}}, ch
}

func next(t *testing.T, ch chan COSRecord) COSRecord {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no COS event within 5 s")
		return COSRecord{}
	}
}

func none(t *testing.T, ch chan COSRecord) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("unexpected event %s %s", r.Event.Name, r.COS.Object.Key)
	case <-time.After(settle + 300*time.Millisecond):
	}
}

func write(t *testing.T, b *Bucket, key, body string) {
	t.Helper()
	p := filepath.Join(b.Dir(), filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBucketEvents(t *testing.T) {
	b := startBucket(t, BucketOptions{Name: "photos-1250000000", AppID: "1250000000"})
	all, allCh := subChan("all", COSFilter{})
	created, createdCh := subChan("jpg", COSFilter{Events: COSCreatedAll, Prefix: "in/", Suffix: ".jpg"})
	removed, removedCh := subChan("rm", COSFilter{Events: COSRemoveAll})
	for _, s := range []COSSub{all, created, removed} {
		b.Subscribe(s)
	}

	write(t, b, "in/cat.jpg", "12345")
	for _, ch := range []chan COSRecord{allCh, createdCh} {
		r := next(t, ch)
		if r.Event.Name != COSCreatedPut || r.COS.Object.Size != 5 || r.COS.Object.Key != "/1250000000/photos/in/cat.jpg" ||
			r.COS.Bucket.Name != "photos" {
			t.Fatalf("record %+v", r)
		}
	}
	none(t, removedCh)

	write(t, b, "in/cat.png", "x")  // suffix filtered
	write(t, b, "out/dog.jpg", "x") // prefix filtered
	keys := []string{next(t, allCh).COS.Object.Key, next(t, allCh).COS.Object.Key}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"/1250000000/photos/in/cat.png", "/1250000000/photos/out/dog.jpg"}) {
		t.Fatalf("keys %v", keys)
	}
	none(t, createdCh)

	if err := os.Remove(filepath.Join(b.Dir(), "in", "cat.jpg")); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []chan COSRecord{allCh, removedCh} {
		if r := next(t, ch); r.Event.Name != COSRemoveDelete || r.COS.Object.Key != "/1250000000/photos/in/cat.jpg" {
			t.Fatalf("record %+v", r)
		}
	}
	none(t, createdCh)

	if b.Unsubscribe("jpg") != 2 {
		t.Fatal("Unsubscribe count")
	}
	write(t, b, "in/bird.jpg", "x")
	next(t, allCh)
	none(t, createdCh)
}

func TestBucketLoopDetection(t *testing.T) {
	var (
		mu      sync.Mutex // guards reports
		reports []LoopReport
	)
	// The generation of a write is taken when the bucket reads its event,
	// which a loaded machine can delay well past a short grace after the
	// function returned: the grace here is generous, and the test waits it
	// out before the outside write.
	const grace = 2 * time.Second
	b := startBucket(t, BucketOptions{MaxGenerations: 2, LoopGrace: grace,
		OnLoop: func(r LoopReport) { mu.Lock(); reports = append(reports, r); mu.Unlock() }})
	calls := make(chan string, 32)
	var n int
	b.Subscribe(COSSub{ID: "thumb/up", Function: "thumb", Deliver: func(_ context.Context, ev COSEvent) error {
		calls <- ev.Records[0].COS.Object.Key
		n++
		write(t, b, fmt.Sprintf("gen%d.txt", n), "again") // the function writes into its own bucket
		return nil
	}})
	write(t, b, "start.txt", "x")
	var got []string
	for range 3 {
		select {
		case k := <-calls:
			got = append(got, filepath.Base(k))
		case <-time.After(5 * time.Second):
			t.Fatalf("calls so far %v", got)
		}
	}
	if want := []string{"start.txt", "gen1.txt", "gen2.txt"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	select {
	case k := <-calls:
		t.Fatalf("the loop went on: %s", k)
	case <-time.After(grace + time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 1 || reports[0].Key != "gen3.txt" || reports[0].Generation != 3 ||
		!slices.Equal(reports[0].Functions, []string{"thumb"}) || !errors.Is(reports[0].Err, ErrLoop) {
		t.Fatalf("reports %+v", reports)
	}

	// After the grace, an outside write starts a fresh chain.
	write(t, b, "later.txt", "x")
	select {
	case k := <-calls:
		if filepath.Base(k) != "later.txt" {
			t.Fatalf("call %s", k)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a later outside write was not delivered")
	}
}

func TestBucketNotAFolder(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{f, filepath.Join(t.TempDir(), "missing")} {
		if _, err := NewBucket(dir, BucketOptions{}); err == nil {
			t.Errorf("NewBucket(%s) succeeded", dir)
		}
	}
}

func TestCOSFilter(t *testing.T) {
	cases := []struct {
		f     COSFilter
		event string
		key   string
		want  bool
	}{
		{COSFilter{}, COSRemoveDelete, "a", true},
		{COSFilter{Events: COSCreatedAll}, COSCreatedPut, "a", true},
		{COSFilter{Events: COSCreatedAll}, COSRemoveDelete, "a", false},
		{COSFilter{Events: COSCreatedPut}, COSCreatedPut, "a", true},
		{COSFilter{Events: "cos:ObjectCreated:Post"}, COSCreatedPut, "a", false},
		{COSFilter{Prefix: "img/", Suffix: ".png"}, COSCreatedPut, "img/a.png", true},
		{COSFilter{Prefix: "img/", Suffix: ".png"}, COSCreatedPut, "img/a.jpg", false},
		{COSFilter{Prefix: "img/"}, COSCreatedPut, "doc/a.png", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%+v/%s/%s", c.f, c.event, c.key), func(t *testing.T) {
			if got := c.f.Match(c.event, c.key); got != c.want {
				t.Fatalf("Match = %v", got)
			}
		})
	}
	if CheckCOSEvents("cos:Nope") == nil || CheckCOSEvents(COSCreatedAll) != nil {
		t.Fatal("CheckCOSEvents")
	}
}
