package logstore

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

func TestQuery(t *testing.T) {
	s := open(t, Options{})
	// B: 0 ok v1 via release, 1 user error v2 via release, 2 timeout v2 direct,
	// 3 memory v1, 4 concurrency v1, 5 running async v2; C: one record.
	b := []Record{
		rec("B", 0, "1", 200), rec("B", 1, "2", 430), rec("B", 2, "2", 433),
		rec("B", 3, "1", 434), rec("B", 4, "1", 432), rec("B", 5, "2", 0),
	}
	b[0].Qualifier, b[0].Alias = "release", "release"
	b[1].Qualifier, b[1].Alias = "release", "release"
	b[5].Running, b[5].Source = true, SourceAsync
	mustAppend(t, s, b...)
	c := rec("C", 2, "$LATEST", 200)
	c.Namespace = "other"
	mustAppend(t, s, c)

	tests := []struct {
		name  string
		q     Query
		want  []string
		total int
	}{
		{"all newest first", Query{}, []string{"B-005", "B-004", "B-003", "C-002", "B-002", "B-001", "B-000"}, 7},
		{"function asc", Query{Function: "B", Order: OrderAsc}, []string{"B-000", "B-001", "B-002", "B-003", "B-004", "B-005"}, 6},
		{"namespace", Query{Namespace: "other"}, []string{"C-002"}, 1},
		{"namespace default", Query{Namespace: "default", Function: "C"}, nil, 0},
		{"qualifier alias", Query{Function: "B", Qualifier: "release"}, []string{"B-001", "B-000"}, 2},
		{"qualifier version", Query{Function: "B", Qualifier: "2"}, []string{"B-005", "B-002", "B-001"}, 3},
		{"request id", Query{RequestID: "B-003"}, []string{"B-003"}, 1},
		{"since until inclusive", Query{Function: "B", Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}, []string{"B-003", "B-002", "B-001"}, 3},
		{"is0", Query{Function: "B", Status: FilterIs0}, []string{"B-000"}, 1},
		{"not0", Query{Function: "B", Status: FilterNot0}, []string{"B-004", "B-003", "B-002", "B-001"}, 4},
		{"timeout", Query{Status: FilterTimeLimitExceeded}, []string{"B-002"}, 1},
		{"resource", Query{Status: FilterResourceLimitExceeded}, []string{"B-004", "B-003"}, 2},
		{"user code", Query{Status: FilterUserCodeException}, []string{"B-001"}, 1},
		{"unknown filter matches nothing", Query{Status: "bogus"}, nil, 0},
		{"page", Query{Function: "B", Offset: 1, Limit: 2}, []string{"B-004", "B-003"}, 6},
		{"page past end", Query{Function: "B", Offset: 10, Limit: 2}, nil, 6},
		{"huge limit past an offset", Query{Function: "B", Order: OrderAsc, Offset: 4, Limit: math.MaxInt}, []string{"B-004", "B-005"}, 6},
		{"last partial page asc", Query{Function: "B", Order: OrderAsc, Offset: 4, Limit: 5}, []string{"B-004", "B-005"}, 6},
		{"order by duration asc", Query{Function: "B", OrderBy: OrderByDuration, Order: OrderAsc, Limit: 2}, []string{"B-000", "B-001"}, 6},
		{"order by mem desc", Query{OrderBy: OrderByMemUsage, Limit: 1}, []string{"B-005"}, 7},
		{"order by function asc", Query{OrderBy: OrderByFunctionName, Order: OrderAsc, Limit: 2}, []string{"B-000", "B-001"}, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, total := s.Query(tc.q)
			if g := ids(got); !slices.Equal(g, tc.want) || total != tc.total {
				t.Errorf("Query = %v (total %d), want %v (total %d)", g, total, tc.want, tc.total)
			}
		})
	}
}

func TestQueryTiesKeepAppendOrder(t *testing.T) {
	s := open(t, Options{})
	for i := range 3 {
		r := rec("B", i, "1", 200)
		r.StartTime = t0
		mustAppend(t, s, r)
	}
	asc, _ := s.Query(Query{Order: OrderAsc})
	desc, _ := s.Query(Query{})
	if g, w := ids(asc), []string{"B-000", "B-001", "B-002"}; !slices.Equal(g, w) {
		t.Errorf("asc = %v, want %v", g, w)
	}
	if g, w := ids(desc), []string{"B-002", "B-001", "B-000"}; !slices.Equal(g, w) {
		t.Errorf("desc = %v, want %v", g, w)
	}
}

func TestParseStatusFilter(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"", false}, {"is0", false}, {"not0", false}, {"TimeLimitExceeded", false},
		{"ResourceLimitExceeded", false}, {"UserCodeException", false}, {"timelimitexceeded", true}, {"0", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			f, err := ParseStatusFilter(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidFilter) {
					t.Errorf("ParseStatusFilter(%q) error = %v, want ErrInvalidFilter", tc.in, err)
				}
				return
			}
			if err != nil || string(f) != tc.in {
				t.Errorf("ParseStatusFilter(%q) = %q, %v", tc.in, f, err)
			}
		})
	}
}

func TestUpdateReplacesRunning(t *testing.T) {
	s := open(t, Options{})
	r := rec("B", 0, "1", 0)
	r.Running = true
	mustAppend(t, s, r, rec("B", 1, "1", 200))
	if got, _ := s.Query(Query{RequestID: r.RequestID}); len(got) != 1 || got[0].RetCode() != 1 {
		t.Fatalf("running record = %+v, want RetCode 1", got)
	}
	r.Running, r.Status, r.RetMsg = false, 200, `"done"`
	if err := s.Update(r); err != nil {
		t.Fatal(err)
	}
	got, total := s.Query(Query{Function: "B", Order: OrderAsc})
	if total != 2 || got[0].RequestID != r.RequestID || got[0].Running || got[0].RetCode() != 0 || got[0].RetMsg != `"done"` {
		t.Fatalf("after Update = %+v (total %d), want finished record in place", got, total)
	}
	// Update of an evicted or unknown record appends it.
	if err := s.Update(rec("B", 9, "1", 200)); err != nil {
		t.Fatal(err)
	}
	if _, total := s.Query(Query{Function: "B"}); total != 3 {
		t.Errorf("total after upsert = %d, want 3", total)
	}
}

func TestAppendValidates(t *testing.T) {
	s := open(t, Options{})
	for _, r := range []Record{{Function: "B"}, {RequestID: "x"}} {
		if err := s.Append(r); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("Append(%+v) = %v, want ErrInvalidRecord", r, err)
		}
	}
	s.Close()
	if err := s.Append(rec("B", 0, "1", 200)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
}

func TestAppendNormalises(t *testing.T) {
	now := t0.Add(time.Hour)
	s := open(t, Options{Now: func() time.Time { return now }})
	mustAppend(t, s, Record{RequestID: "r", Function: "B", Version: "1", Status: 200, Duration: 1500 * time.Microsecond})
	got, _ := s.Query(Query{})
	if len(got) != 1 {
		t.Fatalf("got %d records", len(got))
	}
	r := got[0]
	if r.Namespace != "default" || !r.StartTime.Equal(now) || r.BillDuration != 2*time.Millisecond {
		t.Errorf("normalised = ns %q start %v bill %v, want default, %v, 2ms", r.Namespace, r.StartTime, r.BillDuration, now)
	}
}

func TestRingBounds(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		logBytes int
		n        int
		wantMax  int
	}{
		{"count", Options{MaxRecordsPerFunction: 10}, 0, 25, 10},
		{"bytes", Options{MaxBytesPerFunction: 64 << 10, MaxLogBytes: 8 << 10}, 8 << 10, 100, 64 << 10 / (8 << 10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, tc.opts)
			log := string(make([]byte, tc.logBytes))
			for i := range tc.n {
				r := rec("B", i, "1", 200)
				r.Log = log
				mustAppend(t, s, r)
			}
			got, total := s.Query(Query{Limit: 1})
			if total > tc.wantMax || total == 0 {
				t.Errorf("kept %d records, want 1..%d", total, tc.wantMax)
			}
			if want := rec("B", tc.n-1, "1", 200).RequestID; got[0].RequestID != want {
				t.Errorf("newest = %s, want %s", got[0].RequestID, want)
			}
		})
	}
}
