package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTriggerProblems(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"bad cron", "    triggers: [{type: timer, name: t, cron: \"* * *\"}]\n", `6:45: functions.B.triggers[0].cron: invalid cron expression: "* * *" has 3 fields`},
		{"no cron", "    triggers: [{type: timer, name: t}]\n", `6:16: functions.B.triggers[0]: cron is required`},
		{"no type", "    triggers: [{name: t}]\n", `6:16: functions.B.triggers[0]: type is required (one of timer, cos, ckafka, cmq, clb)`},
		{"apigw type", "    triggers: [{type: apigw, name: t}]\n", `6:23: functions.B.triggers[0].type: "apigw" is not one of timer, cos, ckafka, cmq, clb (API Gateway routes are declared under services)`},
		{"key of another type", "    triggers: [{type: timer, name: t, cron: \"* * * * * * *\", topic: x}]\n", `6:62: functions.B.triggers[0].topic: unknown key (known: type, name, qualifier, enable, cron, message)`},
		{"bad name", "    triggers: [{type: timer, name: \"a b\", cron: \"* * * * * * *\"}]\n", `6:36: functions.B.triggers[0].name: trigger name "a b"`},
		{"duplicate name", "    triggers:\n      - {type: timer, name: t, cron: \"* * * * * * *\"}\n      - {type: cmq, name: t}\n", `8:9: functions.B.triggers[1]: trigger t is already declared at line 7`},
		{"bad qualifier", "    triggers: [{type: cmq, name: t, qualifier: \"a b\"}]\n", `6:48: functions.B.triggers[0].qualifier: "a b" is not $DEFAULT`},
		{"cos without bucket", "    triggers: [{type: cos, name: up}]\n", `6:16: functions.B.triggers[0]: bucket is required`},
		{"cos bad events", "    triggers: [{type: cos, name: up, bucket: ./b, events: \"cos:Nope\"}]\n", `6:59: functions.B.triggers[0].events: COS event "cos:Nope" is not one of`},
		{"ckafka without topic", "    triggers: [{type: ckafka, name: k}]\n", `6:16: functions.B.triggers[0]: topic is required`},
		{"ckafka batch too big", "    triggers: [{type: ckafka, name: k, topic: o, batch: 10001}]\n", `6:57: functions.B.triggers[0].batch: 10001 is outside 0..10000`},
		{"clb bad path", "    triggers: [{type: clb, name: c, path: shop}]\n", `6:43: functions.B.triggers[0].path: "shop" does not start with /`},
		{"clb bad method", "    triggers: [{type: clb, name: c, path: /shop, method: FETCH}]\n", `6:58: functions.B.triggers[0].method: "FETCH" is not one of`},
		{"enable not bool", "    triggers: [{type: cmq, name: c, enable: yes please}]\n", `6:45: functions.B.triggers[0].enable: expected true or false, got "yes please"`},
		{"triggers not list", "    triggers: {type: cmq}\n", `6:15: functions.B.triggers: expected a list, got a mapping`},
		{"retryNum too big", "    async: {retryNum: 3}\n", `6:23: functions.B.async.retryNum: 3 is outside 0..2`},
		{"msgTTL too small", "    async: {msgTTL: 10}\n", `6:21: functions.B.async.msgTTL: 10 is outside 60..21600 seconds`},
		{"deadLetter bad name", "    async: {deadLetter: \"a b\"}\n", `6:25: functions.B.async.deadLetter: expected local or a function name`},
		{"deadLetter itself", "    async: {deadLetter: B}\n", `6:12: functions.B.async.deadLetter: B is the function itself`},
		{"async unknown key", "    async: {retries: 1}\n", `6:13: functions.B.async.retries: unknown key (known: retryNum, msgTTL, deadLetter)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(inlinePath, []byte(baseFunction+tc.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tc.want)
			}
			if got, want := err.Error(), inlinePath+":"+tc.want; !strings.HasPrefix(got, want) || strings.Count(got, "\n") > 0 {
				t.Errorf("error mismatch\n got: %s\nwant: %s...", got, want)
			}
		})
	}
}

func TestTriggerAccepts(t *testing.T) {
	src := baseFunction + `    aliases: {release: {version: $LATEST}}
    triggers:
      - {type: timer, name: tick, cron: "*/5 * * * * * *", qualifier: release, message: hi}
      - {type: cos, name: uploads, bucket: ./buckets/photos, events: "cos:ObjectCreated:*", qualifier: $DEFAULT, prefix:, suffix:}
      - {type: ckafka, name: orders, topic: orders, batch: 10, qualifier: release}
      - {type: cmq, name: alerts, enable: false}
      - {type: clb, name: shop, path: /shop, method: post}
    async: {retryNum: 0, msgTTL: 120, deadLetter: C}
`
	f, err := Parse(inlinePath, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	want := []Trigger{
		{Type: "timer", Name: "tick", Qualifier: "release", Enabled: true, Cron: "*/5 * * * * * *", Message: "hi", Line: 8},
		{Type: "cos", Name: "uploads", Qualifier: "$DEFAULT", Enabled: true, Bucket: filepath.Join(dir, "buckets/photos"), Events: "cos:ObjectCreated:*", Line: 9},
		{Type: "ckafka", Name: "orders", Qualifier: "release", Enabled: true, Topic: "orders", Batch: 10, Line: 10},
		{Type: "cmq", Name: "alerts", Qualifier: "$DEFAULT", Topic: "alerts", Line: 11},
		{Type: "clb", Name: "shop", Qualifier: "$DEFAULT", Enabled: true, Path: "/shop", Method: "POST", Line: 12},
	}
	if got := f.Functions[0].Triggers; !reflect.DeepEqual(got, want) {
		t.Errorf("triggers\n got %+v\nwant %+v", got, want)
	}
	if got, want := *f.Functions[0].Async, (Async{RetryNum: 0, MsgTTL: 120 * time.Second, DeadLetter: "C", Line: 13}); got != want {
		t.Errorf("async = %+v, want %+v", got, want)
	}
}

func TestDiffTriggers(t *testing.T) {
	a, err := Parse(inlinePath, []byte(baseFunction+"    triggers: [{type: cmq, name: c}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(inlinePath, []byte(baseFunction+"\n    triggers: [{type: cmq, name: c}]\n    async: {retryNum: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ch := Diff(a, b)
	if len(ch.Changed) != 1 || !reflect.DeepEqual(ch.Changed[0].Fields, []string{"async"}) {
		t.Errorf("changes = %+v, want only async (a moved trigger is not a change)", ch.Changed)
	}
}
