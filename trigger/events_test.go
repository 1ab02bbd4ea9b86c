package trigger

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

var when = time.Date(2019, 2, 21, 11, 49, 0, 0, time.UTC)

// documented lists, per event, the field paths the platform documents
// (reference scf-behaviour.md "Trigger events"); "[]" steps into an array.
var documented = map[string][]string{
	"timer": {"Type", "TriggerName", "Time", "Message"},
	"cos": {"Records[].cos.cosSchemaVersion", "Records[].cos.cosObject.url", "Records[].cos.cosObject.meta",
		"Records[].cos.cosObject.vid", "Records[].cos.cosObject.key", "Records[].cos.cosObject.size",
		"Records[].cos.cosBucket.region", "Records[].cos.cosBucket.name", "Records[].cos.cosBucket.appid",
		"Records[].cos.cosNotificationId", "Records[].event.eventName", "Records[].event.eventVersion",
		"Records[].event.eventTime", "Records[].event.eventSource", "Records[].event.requestParameters.requestSourceIP",
		"Records[].event.requestParameters.requestHeaders", "Records[].event.eventQueue", "Records[].event.reservedInfo",
		"Records[].event.reqid"},
	"ckafka": {"Records[].Ckafka.topic", "Records[].Ckafka.partition", "Records[].Ckafka.offset",
		"Records[].Ckafka.msgKey", "Records[].Ckafka.msgBody"},
	"cmq": {"Records[].CMQ.type", "Records[].CMQ.topicOwner", "Records[].CMQ.topicName", "Records[].CMQ.subscriptionName",
		"Records[].CMQ.publishTime", "Records[].CMQ.msgId", "Records[].CMQ.requestId", "Records[].CMQ.msgBody", "Records[].CMQ.msgTag"},
	"clb": {"headers.X-Stgw-Time", "headers.X-Client-Proto", "headers.X-Vip", "headers.X-Uri", "headers.X-Method", "payload", "isBase64Encoded"},
	"apigw": {"requestContext.serviceId", "requestContext.path", "requestContext.httpMethod", "requestContext.requestId",
		"requestContext.identity", "requestContext.sourceIp", "requestContext.stage", "headers", "body", "pathParameters",
		"queryStringParameters", "headerParameters", "stageVariables", "path", "queryString", "httpMethod"},
}

func goldenEvents() map[string]any {
	return map[string]any{
		"timer": NewTimerEvent("tick", "hi", when),
		"cos": COSEvent{Records: []COSRecord{NewCOSRecord(COSChange{Event: COSCreatedPut, Bucket: "photos-1250000000",
			Region: "ap-guangzhou", AppID: "1250000000", Key: "in/cat.jpg", Size: 1024, Time: when, ReqID: 7})}},
		"ckafka": CKafkaEvent{Records: []CKafkaRecord{
			{CKafkaMessage{Topic: "orders", Partition: 0, Offset: 41, MsgKey: "k1", MsgBody: "first"}},
			{CKafkaMessage{Topic: "orders", Partition: 1, Offset: 12, MsgBody: "second"}}}},
		"cmq": CMQEvent{Records: []CMQRecord{{CMQMessage{Type: "topic", TopicOwner: 1250000000, TopicName: "alerts",
			SubscriptionName: "B-alerts", PublishTime: "2019-02-21T11:49:00.000Z", MsgID: "123345346",
			RequestID: "msg-1", MsgBody: "hello", MsgTag: []string{}}}}},
		"clb": NewCLBEvent(CLBRequest{Method: "POST", URI: "/shop/cart?id=1", Host: "127.0.0.1:9000", VIP: "127.0.0.1",
			ClientIP: "127.0.0.1", Proto: "http", Headers: map[string]string{"Content-Type": "application/json"},
			Body: []byte(`{"n":1}`), Time: when}),
		"apigw": NewAPIGWEvent(APIGWRequest{Method: "get", Path: "/hello?name=x", Stage: "release",
			ServiceID: "service-emulator", RequestID: "req-1", Body: ""}),
	}
}

func TestEventsGolden(t *testing.T) {
	for name, ev := range goldenEvents() {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(ev, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("event differs from %s:\n%s", path, got)
			}
			var v any
			if err := json.Unmarshal(want, &v); err != nil {
				t.Fatal(err)
			}
			for _, p := range documented[name] {
				if !hasPath(v, strings.Split(p, ".")) {
					t.Errorf("documented field %s is missing", p)
				}
			}
		})
	}
}

// hasPath reports whether v holds the path; a step ending in [] must be a
// non-empty array whose every element holds the rest.
func hasPath(v any, path []string) bool {
	if len(path) == 0 {
		return true
	}
	step, arr := strings.CutSuffix(path[0], "[]")
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	next, ok := m[step]
	if !ok {
		return false
	}
	if !arr {
		return hasPath(next, path[1:])
	}
	list, ok := next.([]any)
	if !ok || len(list) == 0 {
		return false
	}
	for _, e := range list {
		if !hasPath(e, path[1:]) {
			return false
		}
	}
	return true
}

func TestCLBBinaryPayload(t *testing.T) {
	ev := NewCLBEvent(CLBRequest{Body: []byte{0xff, 0x00}, Time: when})
	if !ev.IsBase64Encoded || ev.Payload != "/wA=" {
		t.Fatalf("payload %q base64 %v", ev.Payload, ev.IsBase64Encoded)
	}
}

func TestCOSRecordBucketNames(t *testing.T) {
	for _, c := range []struct{ bucket, appid, name, key string }{
		{"photos-1250000000", "1250000000", "photos", "/1250000000/photos/a.txt"},
		{"photos", "1250000000", "photos", "/1250000000/photos/a.txt"},
	} {
		r := NewCOSRecord(COSChange{Bucket: c.bucket, AppID: c.appid, Key: "a.txt", Region: "ap-guangzhou"})
		if r.COS.Bucket.Name != c.name || r.COS.Object.Key != c.key {
			t.Errorf("%s: name %q key %q", c.bucket, r.COS.Bucket.Name, r.COS.Object.Key)
		}
	}
}
