package trigger

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Topic kinds the broker carries.
const (
	KindCKafka = "ckafka"
	KindCMQ    = "cmq"
)

// Broker defaults.
const (
	DefaultPartitions = 3
	DefaultMaxWait    = time.Second
	DefaultBatch      = 10
	maxBacklog        = 10000
	maxRetryDelay     = 10 * time.Second
)

// Errors of Publish.
var (
	ErrNoSubscriber = errors.New("no trigger subscribes to the topic")
	ErrBacklog      = errors.New("subscription backlog full")
)

// Message is one message to publish.
type Message struct {
	Key  string // CKafka message key (picks the partition), CMQ tag
	Body string
}

// TopicSub is one CKafka or CMQ trigger. Deliver receives a CKafkaEvent or
// a CMQEvent of at most Batch records; a failed batch is sent again up to
// Retry more times with a doubling delay, then dropped and logged.
type TopicSub struct {
	ID       string // function/trigger
	Function string
	Kind     string // KindCKafka or KindCMQ
	Topic    string
	Batch    int           // default DefaultBatch (CKafka) or 1 (CMQ)
	MaxWait  time.Duration // how long a partial batch waits for more; default DefaultMaxWait
	Retry    int
	Backoff  time.Duration // first retry delay; default 100 ms
	Deliver  func(ctx context.Context, event any) error
}

// Published is where a message went.
type Published struct {
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	MsgID     string `json:"msgId,omitempty"`
}

// Broker carries messages from Publish to the subscriptions of their
// topic, batching them per subscription. CKafka topics have partitions and
// per-partition offsets; a keyed message always lands on the same
// partition, unkeyed ones go round the partitions.
type Broker struct {
	partitions int
	log        *slog.Logger
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup

	mu     sync.Mutex // guards topics, subs and msgID
	topics map[string]*topic
	subs   map[string]*subLoop
	msgID  int64
}

type topic struct {
	offsets []int64 // next offset per partition
	rr      int
}

type subLoop struct {
	sub    TopicSub
	in     chan any // CKafkaRecord or CMQRecord
	cancel context.CancelFunc
}

// NewBroker returns a broker whose CKafka topics have partitions
// partitions (DefaultPartitions when 0). Close stops it.
func NewBroker(partitions int, log *slog.Logger) *Broker {
	if partitions <= 0 {
		partitions = DefaultPartitions
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Broker{partitions: partitions, log: log, ctx: ctx, cancel: cancel, topics: map[string]*topic{}, subs: map[string]*subLoop{}}
}

// Subscribe adds or replaces subscription s; a replaced one's undelivered
// messages are dropped.
func (b *Broker) Subscribe(s TopicSub) {
	if s.Batch <= 0 {
		s.Batch = DefaultBatch
		if s.Kind == KindCMQ {
			s.Batch = 1
		}
	}
	if s.MaxWait <= 0 {
		s.MaxWait = DefaultMaxWait
	}
	if s.Backoff <= 0 {
		s.Backoff = 100 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(b.ctx)
	l := &subLoop{sub: s, in: make(chan any, maxBacklog), cancel: cancel}
	b.mu.Lock()
	if old := b.subs[s.ID]; old != nil {
		old.cancel()
	}
	b.subs[s.ID] = l
	b.mu.Unlock()
	b.wg.Go(func() { l.run(ctx, b.log) })
}

// Unsubscribe removes subscription id.
func (b *Broker) Unsubscribe(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l := b.subs[id]; l != nil {
		l.cancel()
		delete(b.subs, id)
	}
}

// Close stops every subscription and waits for deliveries in flight.
func (b *Broker) Close() {
	b.cancel()
	b.wg.Wait()
}

// Publish appends msgs to topic of kind and hands each to every
// subscription of the topic. It fails, publishing nothing, when no trigger
// subscribes or a subscription's backlog is full.
func (b *Broker) Publish(kind, name string, msgs []Message) ([]Published, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var subs []*subLoop
	for _, l := range b.subs {
		if l.sub.Kind == kind && l.sub.Topic == name {
			if len(l.in)+len(msgs) > cap(l.in) {
				return nil, fmt.Errorf("%w: %s has %d messages waiting", ErrBacklog, l.sub.ID, len(l.in))
			}
			subs = append(subs, l)
		}
	}
	if len(subs) == 0 {
		return nil, fmt.Errorf("%w: %s topic %s", ErrNoSubscriber, kind, name)
	}
	t := b.topics[kind+"/"+name]
	if t == nil {
		t = &topic{offsets: make([]int64, b.partitions)}
		b.topics[kind+"/"+name] = t
	}
	now := time.Now()
	out := make([]Published, 0, len(msgs))
	for _, m := range msgs {
		p := t.rr % len(t.offsets)
		if m.Key != "" {
			h := fnv.New32a()
			_, _ = h.Write([]byte(m.Key))
			p = int(h.Sum32() % uint32(len(t.offsets)))
		} else {
			t.rr++
		}
		pub := Published{Partition: p, Offset: t.offsets[p]}
		t.offsets[p]++
		b.msgID++
		for _, l := range subs {
			var rec any
			if kind == KindCMQ {
				pub = Published{MsgID: strconv.FormatInt(b.msgID, 10)}
				var tags []string
				if m.Key != "" {
					tags = []string{m.Key}
				}
				rec = CMQRecord{CMQ: CMQMessage{Type: "topic", TopicOwner: 1250000000, TopicName: name,
					SubscriptionName: l.sub.ID, PublishTime: now.UTC().Format("2006-01-02T15:04:05.000Z"),
					MsgID: pub.MsgID, RequestID: "emulator-" + pub.MsgID, MsgBody: m.Body, MsgTag: append([]string{}, tags...)}}
			} else {
				rec = CKafkaRecord{Ckafka: CKafkaMessage{Topic: name, Partition: p, Offset: pub.Offset, MsgKey: m.Key, MsgBody: m.Body}}
			}
			l.in <- rec
		}
		out = append(out, pub)
	}
	return out, nil
}

// run batches the subscription's records and delivers them in order.
func (l *subLoop) run(ctx context.Context, log *slog.Logger) {
	for {
		var batch []any
		select {
		case <-ctx.Done():
			return
		case r := <-l.in:
			batch = append(batch, r)
		}
		wait := time.NewTimer(l.sub.MaxWait)
	fill:
		for len(batch) < l.sub.Batch {
			select {
			case <-ctx.Done():
				wait.Stop()
				return
			case r := <-l.in:
				batch = append(batch, r)
			case <-wait.C:
				break fill
			}
		}
		wait.Stop()
		l.deliver(ctx, log, batch)
	}
}

func (l *subLoop) deliver(ctx context.Context, log *slog.Logger, batch []any) {
	var ev any
	if l.sub.Kind == KindCMQ {
		e := CMQEvent{}
		for _, r := range batch {
			e.Records = append(e.Records, r.(CMQRecord))
		}
		ev = e
	} else {
		e := CKafkaEvent{}
		for _, r := range batch {
			e.Records = append(e.Records, r.(CKafkaRecord))
		}
		ev = e
	}
	delay := l.sub.Backoff
	for attempt := 0; ; attempt++ {
		err := l.sub.Deliver(ctx, ev)
		if err == nil {
			return
		}
		if attempt >= l.sub.Retry || ctx.Err() != nil {
			log.Warn("message batch dropped after retries", "trigger", l.sub.ID, "topic", l.sub.Topic,
				"messages", len(batch), "attempts", attempt+1, "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, maxRetryDelay)
	}
}
