package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/scf-emulator/emulator/platform"
	"github.com/scf-emulator/emulator/trigger"
)

// Trigger types a function's triggers: list takes; apigw routes are
// declared under services.
const (
	TriggerTimer  = "timer"
	TriggerCOS    = "cos"
	TriggerCKafka = "ckafka"
	TriggerCMQ    = "cmq"
	TriggerCLB    = "clb"
)

// Trigger is one event source of a function. It fires through Qualifier
// ($DEFAULT when omitted), so alias weights apply to it.
type Trigger struct {
	Type      string
	Name      string
	Qualifier string
	Enabled   bool   // `enable:`; true when omitted
	Cron      string // timer: the platform's 7-field cron
	Message   string // timer: the event's Message
	Bucket    string // cos: absolute folder acting as the bucket
	Events    string // cos: "cos:ObjectCreated:*" when omitted
	Prefix    string // cos
	Suffix    string // cos
	Topic     string // ckafka, cmq (cmq: the trigger's name when omitted)
	Batch     int    // ckafka, cmq: messages per invocation
	MaxWaitMs int    // ckafka, cmq: how long a partial batch waits
	Retry     int    // ckafka, cmq: redeliveries of a failed batch
	Path      string // clb: the rule's URL path
	Method    string // clb: ANY when omitted
	Line      int
}

// Async is a function's async invocation policy: retries of a failed
// event, how long it may still start, and where a failed one goes.
type Async struct {
	RetryNum   int           // 0..2
	MsgTTL     time.Duration // 60 s .. 6 h
	DeadLetter string        // DeadLetterLocal or a function name
	Line       int
}

// DeadLetterLocal is `deadLetter: local`: the state dir's dead-letter log.
const DeadLetterLocal = "local"

// Keys a trigger takes: the common ones plus those of its type.
var (
	triggerCommonKeys = []string{"type", "name", "qualifier", "enable"}
	triggerTypeKeys   = map[string][]string{
		TriggerTimer:  {"cron", "message"},
		TriggerCOS:    {"bucket", "events", "prefix", "suffix"},
		TriggerCKafka: {"topic", "batch", "maxWait", "retry"},
		TriggerCMQ:    {"topic", "batch", "maxWait", "retry"},
		TriggerCLB:    {"path", "method"},
	}
	asyncKeys = []string{"retryNum", "msgTTL", "deadLetter"}
)

// topicRE is what a CKafka or CMQ topic name may be here.
var topicRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Bounds of message triggers, as the platform's CKafka trigger has them.
const (
	maxTriggerBatch = 10000
	maxTriggerRetry = 10000
	maxTriggerWait  = 60 * 1000 // ms
)

func (d *decoder) triggers(p pair) []Trigger {
	var out []Trigger
	first := map[string]int{}
	for i, n := range d.items(p) {
		ip := pair{name: p.name, key: p.key, val: n, path: fmt.Sprintf("%s[%d]", p.path, i)}
		t, ok := d.trigger(ip)
		if !ok {
			continue
		}
		if line, dup := first[t.Name]; dup {
			d.at(n, ip.path, "trigger %s is already declared at line %d", t.Name, line)
			continue
		}
		first[t.Name] = t.Line
		out = append(out, t)
	}
	return out
}

// trigger decodes one item of triggers: the type first, since it decides
// which other keys are known.
func (d *decoder) trigger(p pair) (Trigger, bool) {
	t := Trigger{Qualifier: Default, Enabled: true, Line: resolveLine(p)}
	all := d.pairs(p.val, p.path)
	if all == nil {
		return t, false
	}
	var typ pair
	for _, e := range all {
		if e.name == "type" {
			typ = e
		}
	}
	if typ.val == nil {
		d.at(p.val, p.path, "type is required (one of timer, cos, ckafka, cmq, clb)")
		return t, false
	}
	t.Type, _ = d.str(typ)
	extra, ok := triggerTypeKeys[t.Type]
	if !ok {
		msg := fmt.Sprintf("%q is not one of timer, cos, ckafka, cmq, clb", t.Type)
		if t.Type == "apigw" {
			msg += " (API Gateway routes are declared under services)"
		}
		d.at(typ.val, typ.path, "%s", msg)
		return t, false
	}
	known := append(append([]string{}, triggerCommonKeys...), extra...)
	emptyFlowKeys(p.val, known)
	f := d.fields(p.val, p.path, known...)
	if f == nil {
		return t, false
	}
	n0 := len(d.problems)
	if np, has := f["name"]; has {
		t.Name, _ = d.str(np)
		if err := platform.CheckTriggerName(t.Name); err != nil {
			d.at(np.val, np.path, "%v", err)
		}
	} else {
		d.at(p.val, p.path, "name is required")
	}
	if qp, has := f["qualifier"]; has {
		if q, ok := d.qualifier(qp); ok {
			t.Qualifier = q
		}
	}
	if ep, has := f["enable"]; has {
		t.Enabled, _ = d.boolean(ep)
	}
	str := func(key string, dst *string) (pair, bool) {
		kp, has := f[key]
		if has {
			*dst, _ = d.str(kp)
		}
		return kp, has
	}
	integer := func(key string, dst *int, max int) {
		if kp, has := f[key]; has {
			if v, ok := d.integer(kp); ok {
				if v < 0 || v > max {
					d.at(kp.val, kp.path, "%d is outside 0..%d", v, max)
				}
				*dst = v
			}
		}
	}
	switch t.Type {
	case TriggerTimer:
		if cp, has := str("cron", &t.Cron); !has {
			d.at(p.val, p.path, `cron is required (7 fields: second minute hour day month weekday year, e.g. "*/5 * * * * * *")`)
		} else if _, err := trigger.ParseCron(t.Cron); err != nil {
			d.at(cp.val, cp.path, "%v", err)
		}
		str("message", &t.Message)
	case TriggerCOS:
		if _, has := str("bucket", &t.Bucket); !has || t.Bucket == "" {
			d.at(p.val, p.path, "bucket is required (the local folder that acts as the COS bucket, e.g. ./buckets/photos)")
		} else if !filepath.IsAbs(t.Bucket) {
			t.Bucket = filepath.Join(d.dir, t.Bucket)
		}
		if ep, has := str("events", &t.Events); has {
			if err := trigger.CheckCOSEvents(t.Events); err != nil {
				d.at(ep.val, ep.path, "%v", err)
			}
		}
		if t.Events == "" {
			t.Events = trigger.COSCreatedAll
		}
		str("prefix", &t.Prefix)
		str("suffix", &t.Suffix)
	case TriggerCKafka, TriggerCMQ:
		if tp, has := str("topic", &t.Topic); has && !topicRE.MatchString(t.Topic) {
			d.at(tp.val, tp.path, "topic %q must be 1 to 64 letters, digits, '_' or '-'", t.Topic)
		} else if !has && t.Type == TriggerCKafka {
			d.at(p.val, p.path, "topic is required")
		}
		if t.Topic == "" && t.Type == TriggerCMQ {
			t.Topic = t.Name
		}
		integer("batch", &t.Batch, maxTriggerBatch)
		integer("maxWait", &t.MaxWaitMs, maxTriggerWait)
		integer("retry", &t.Retry, maxTriggerRetry)
	case TriggerCLB:
		t.Method = "ANY"
		if pp, has := str("path", &t.Path); !has {
			d.at(p.val, p.path, "path is required (the URL path the CLB rule forwards, e.g. /orders)")
		} else if msg := checkPath(t.Path); msg != "" {
			d.at(pp.val, pp.path, "%s", msg)
		}
		if mp, has := str("method", &t.Method); has {
			t.Method = strings.ToUpper(t.Method)
			if !platform.IsMethod(t.Method) {
				d.at(mp.val, mp.path, "%q is not one of %s", t.Method, platform.MethodList())
			}
		}
	}
	return t, len(d.problems) == n0 && t.Name != ""
}

// async decodes a function's async: policy; omitted keys keep the
// platform's defaults.
func (d *decoder) async(p pair) *Async {
	if isNull(p.val) {
		return nil
	}
	a := &Async{RetryNum: trigger.DefaultRetryNum, MsgTTL: trigger.DefaultMsgTTL, DeadLetter: DeadLetterLocal, Line: resolveLine(p)}
	f := d.fields(p.val, p.path, asyncKeys...)
	if f == nil {
		return a
	}
	if rp, ok := f["retryNum"]; ok {
		if v, ok := d.integer(rp); ok {
			if v < 0 || v > trigger.MaxRetryNum {
				d.at(rp.val, rp.path, "%d is outside 0..%d", v, trigger.MaxRetryNum)
			}
			a.RetryNum = v
		}
	}
	if tp, ok := f["msgTTL"]; ok {
		if v, ok := d.integer(tp); ok {
			lo, hi := int(trigger.MinMsgTTL/time.Second), int(trigger.MaxMsgTTL/time.Second)
			if v < lo || v > hi {
				d.at(tp.val, tp.path, "%d is outside %d..%d seconds", v, lo, hi)
			}
			a.MsgTTL = time.Duration(v) * time.Second
		}
	}
	if dp, ok := f["deadLetter"]; ok {
		if s, ok := d.str(dp); ok && s != "" {
			if s != DeadLetterLocal {
				if err := platform.CheckFunctionName(s); err != nil {
					d.at(dp.val, dp.path, "expected local or a function name: %v", err)
				}
			}
			a.DeadLetter = s
		}
	}
	return a
}

// boolean reads a YAML true or false.
func (d *decoder) boolean(p pair) (bool, bool) {
	v := resolve(p.val)
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
		d.at(p.val, p.path, "expected true or false, got %s", describe(v))
		return false, false
	}
	var b bool
	_ = v.Decode(&b) // a !!bool scalar always decodes
	return b, true
}

// emptyFlowKeys reads `{..., prefix:, suffix:}` as empty prefix and
// suffix: in a flow mapping YAML takes "prefix:" for the key, colon and
// all, when no space follows the colon.
func emptyFlowKeys(n *yaml.Node, known []string) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle == 0 {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if name, ok := strings.CutSuffix(k.Value, ":"); ok && k.Kind == yaml.ScalarNode && contains(known, name) && isNull(v) {
			k.Value = name
		}
	}
}

func resolveLine(p pair) int {
	if n := resolve(p.val); n != nil {
		return n.Line
	}
	return 0
}
