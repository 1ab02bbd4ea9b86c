package trigger

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestBrokerCKafkaBatchesPartitionsOffsets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBroker(2, nil)
		defer b.Close()
		got := make(chan CKafkaEvent, 10)
		b.Subscribe(TopicSub{ID: "f/orders", Function: "f", Kind: KindCKafka, Topic: "orders", Batch: 3, MaxWait: time.Second,
			Deliver: func(_ context.Context, ev any) error { got <- ev.(CKafkaEvent); return nil }})

		pubs, err := b.Publish(KindCKafka, "orders", []Message{{Body: "a"}, {Body: "b"}, {Body: "c"}, {Body: "d"}})
		if err != nil {
			t.Fatal(err)
		}
		want := []Published{{0, 0, ""}, {1, 0, ""}, {0, 1, ""}, {1, 1, ""}}
		for i := range want {
			if pubs[i] != want[i] {
				t.Fatalf("published %+v, want %+v", pubs, want)
			}
		}
		synctest.Wait()
		first := <-got // full batch at once
		if len(first.Records) != 3 || first.Records[2].Ckafka.MsgBody != "c" || first.Records[2].Ckafka.Offset != 1 {
			t.Fatalf("first batch %+v", first)
		}
		select {
		case ev := <-got:
			t.Fatalf("partial batch sent before max wait: %+v", ev)
		default:
		}
		time.Sleep(time.Second)
		synctest.Wait()
		second := <-got
		if len(second.Records) != 1 || second.Records[0].Ckafka.MsgBody != "d" || second.Records[0].Ckafka.Partition != 1 {
			t.Fatalf("second batch %+v", second)
		}

		// a keyed message keeps to one partition
		p1, _ := b.Publish(KindCKafka, "orders", []Message{{Key: "user-7", Body: "x"}})
		p2, _ := b.Publish(KindCKafka, "orders", []Message{{Key: "user-7", Body: "y"}})
		if p1[0].Partition != p2[0].Partition || p2[0].Offset != p1[0].Offset+1 {
			t.Fatalf("keyed %+v then %+v", p1, p2)
		}
	})
}

func TestBrokerRetriesFailedBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBroker(1, nil)
		defer b.Close()
		var attempts []time.Duration
		t0 := time.Now()
		b.Subscribe(TopicSub{ID: "f/q", Function: "f", Kind: KindCMQ, Topic: "alerts", Retry: 2, Backoff: time.Second,
			Deliver: func(_ context.Context, ev any) error {
				attempts = append(attempts, time.Since(t0))
				if ev.(CMQEvent).Records[0].CMQ.MsgBody != "hello" {
					t.Errorf("event %+v", ev)
				}
				return errors.New("boom")
			}})
		if _, err := b.Publish(KindCMQ, "alerts", []Message{{Key: "tag", Body: "hello"}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		// CMQ batch 1 goes at once; retries after 1 s and 2 s more.
		want := []time.Duration{0, time.Second, 3 * time.Second}
		if len(attempts) != len(want) {
			t.Fatalf("attempts at %v, want %v", attempts, want)
		}
		for i := range want {
			if attempts[i] != want[i] {
				t.Fatalf("attempts at %v, want %v", attempts, want)
			}
		}
	})
}

func TestBrokerPublishErrors(t *testing.T) {
	b := NewBroker(0, nil)
	defer b.Close()
	if _, err := b.Publish(KindCKafka, "none", []Message{{Body: "x"}}); !errors.Is(err, ErrNoSubscriber) {
		t.Fatalf("err = %v", err)
	}
	block := make(chan struct{})
	defer close(block)
	b.Subscribe(TopicSub{ID: "f/t", Kind: KindCKafka, Topic: "t", Batch: 1,
		Deliver: func(ctx context.Context, _ any) error { <-block; return nil }})
	big := make([]Message, maxBacklog+1)
	if _, err := b.Publish(KindCKafka, "t", big); !errors.Is(err, ErrBacklog) {
		t.Fatalf("err = %v", err)
	}
	b.Unsubscribe("f/t")
	if _, err := b.Publish(KindCKafka, "t", []Message{{}}); !errors.Is(err, ErrNoSubscriber) {
		t.Fatalf("after unsubscribe err = %v", err)
	}
}
