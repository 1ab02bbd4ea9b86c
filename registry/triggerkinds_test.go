package registry

import (
	"errors"
	"testing"
)

func TestEventTriggers(t *testing.T) {
	dir := t.TempDir()
	r, _ := setup(t, func(o *Options) { o.Dir = dir })
	good := []Trigger{
		{Name: "tick", Type: TriggerTimer, Cron: "*/5 * * * * * *", Message: "hi", Enabled: true},
		{Name: "up", Type: TriggerCOS, Bucket: "/tmp/bucket", Prefix: "in/", Enabled: true},
		{Name: "orders", Type: TriggerCKafka, Topic: "orders", Batch: 10, MaxWaitMs: 500, Retry: 3, Enabled: true},
		{Name: "alerts", Type: TriggerCMQ, Topic: "alerts", Enabled: true},
		{Name: "shop", Type: TriggerCLB, Path: "/shop", Enabled: true},
	}
	for _, tr := range good {
		got, err := r.CreateTrigger("B", tr)
		if err != nil {
			t.Fatalf("%s: %v", tr.Name, err)
		}
		if got.Qualifier != Default {
			t.Errorf("%s qualifier %q", tr.Name, got.Qualifier)
		}
	}
	ts, _ := r.Triggers("B")
	if ts[4].Name != "up" || ts[4].Events != "cos:ObjectCreated:*" || ts[2].Method != "ANY" {
		t.Fatalf("defaults not filled: %+v", ts)
	}
	bad := []Trigger{
		{Name: "c1", Type: TriggerTimer, Cron: "* * * * * *"},
		{Name: "c2", Type: TriggerCOS},
		{Name: "c3", Type: TriggerCOS, Bucket: "rel/path"},
		{Name: "c4", Type: TriggerCOS, Bucket: "/b", Events: "cos:Nope"},
		{Name: "c5", Type: TriggerCKafka, Topic: "bad topic"},
		{Name: "c6", Type: TriggerCKafka, Topic: "t", Batch: MaxTriggerBatch + 1},
		{Name: "c7", Type: TriggerCMQ, Topic: "t", MaxWaitMs: -1},
		{Name: "c8", Type: TriggerCLB, Path: "nope"},
		{Name: "c9", Type: "cls"},
	}
	for _, tr := range bad {
		if _, err := r.CreateTrigger("B", tr); !errors.Is(err, ErrInvalidTrigger) {
			t.Errorf("%s: err = %v, want ErrInvalidTrigger", tr.Name, err)
		}
	}
	if _, err := r.CreateTrigger("B", Trigger{Name: "shop2", Type: TriggerCLB, Path: "/shop", Method: "GET", Enabled: true}); !errors.Is(err, ErrTriggerConflict) {
		t.Errorf("clb overlap: %v", err)
	}

	// Update: disable the timer and change its cron; AddTime stays.
	upd, err := r.UpdateTrigger("B", Trigger{Name: "tick", Type: TriggerTimer, Cron: "0 * * * * * *", Enabled: false})
	if err != nil || upd.Enabled || upd.Cron != "0 * * * * * *" || !upd.AddTime.Equal(ts[3].AddTime) {
		t.Fatalf("update = %+v, %v", upd, err)
	}
	if _, err := r.UpdateTrigger("B", Trigger{Name: "tick", Type: TriggerCOS, Bucket: "/b"}); !errors.Is(err, ErrTriggerNotFound) {
		t.Errorf("type change: %v", err)
	}
	if _, err := r.UpdateTrigger("B", Trigger{Name: "tick", Type: TriggerTimer, Cron: "x"}); !errors.Is(err, ErrInvalidTrigger) {
		t.Errorf("bad cron: %v", err)
	}

	// Everything survives a restart.
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2 := openAt(t, dir, nil)
	ts2, _ := r2.Triggers("B")
	if len(ts2) != len(ts) || ts2[0].Topic != "alerts" || ts2[4].Prefix != "in/" || ts2[3].Enabled {
		t.Fatalf("after restart %+v", ts2)
	}
}
