package trigger

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"
)

// The event shapes below carry the field names the platform documents
// (SCF doc 583/31927 and tencentyun/scf-go-lib events/); golden files in
// testdata/ pin them.

// TimerEvent is what a timer trigger sends.
type TimerEvent struct {
	Type        string `json:"Type"` // always "Timer"
	TriggerName string `json:"TriggerName"`
	Time        string `json:"Time"` // the tick, RFC 3339 in UTC
	Message     string `json:"Message"`
}

// NewTimerEvent returns the event of trigger name's tick at.
func NewTimerEvent(name, message string, at time.Time) TimerEvent {
	return TimerEvent{Type: "Timer", TriggerName: name, Time: at.UTC().Format(time.RFC3339), Message: message}
}

// COS event names the emulator produces, and the filters a trigger takes.
const (
	COSCreatedPut    = "cos:ObjectCreated:Put"
	COSRemoveDelete  = "cos:ObjectRemove:Delete"
	COSCreatedAll    = "cos:ObjectCreated:*"
	COSRemoveAll     = "cos:ObjectRemove:*"
	cosSchemaVersion = "1.0"
)

// COSEvent is what a COS trigger sends: one record per object change.
type COSEvent struct {
	Records []COSRecord `json:"Records"`
}

// COSRecord is one object change.
type COSRecord struct {
	COS   COSEntity `json:"cos"`
	Event COSMeta   `json:"event"`
}

// COSEntity names the bucket and object.
type COSEntity struct {
	SchemaVersion  string    `json:"cosSchemaVersion"`
	Object         COSObject `json:"cosObject"`
	Bucket         COSBucket `json:"cosBucket"`
	NotificationID string    `json:"cosNotificationId"`
}

// COSObject is the object changed.
type COSObject struct {
	URL  string            `json:"url"`
	Meta map[string]string `json:"meta"`
	VID  string            `json:"vid"`
	Key  string            `json:"key"`
	Size int64             `json:"size"`
}

// COSBucket is the bucket changed.
type COSBucket struct {
	Region string `json:"region"`
	Name   string `json:"name"`
	AppID  string `json:"appid"`
}

// COSMeta says what happened and when.
type COSMeta struct {
	Name              string           `json:"eventName"`
	Version           string           `json:"eventVersion"`
	Time              int64            `json:"eventTime"` // Unix seconds
	Source            string           `json:"eventSource"`
	RequestParameters COSRequestParams `json:"requestParameters"`
	Queue             string           `json:"eventQueue"`
	ReservedInfo      string           `json:"reservedInfo"`
	ReqID             int64            `json:"reqid"`
}

// COSRequestParams is the request that changed the object.
type COSRequestParams struct {
	SourceIP string            `json:"requestSourceIP"`
	Headers  map[string]string `json:"requestHeaders"`
}

// COSChange is one object change to build a record from.
type COSChange struct {
	Event  string // COSCreatedPut or COSRemoveDelete
	Bucket string // bucket name, such as photos-1250000000
	Region string
	AppID  string
	Key    string // object key, no leading slash
	Size   int64
	Time   time.Time
	ReqID  int64
}

// NewCOSRecord returns the record of change c. The object URL is the
// platform's virtual-host form, though locally nothing serves it.
func NewCOSRecord(c COSChange) COSRecord {
	return COSRecord{
		COS: COSEntity{
			SchemaVersion: cosSchemaVersion,
			Object: COSObject{
				URL:  "http://" + c.Bucket + ".cos." + c.Region + ".myqcloud.com/" + c.Key,
				Meta: map[string]string{"x-cos-request-id": "emulator-" + strconv.FormatInt(c.ReqID, 10), "Content-Type": ""},
				Key:  "/" + c.AppID + "/" + bucketShort(c.Bucket, c.AppID) + "/" + c.Key,
				Size: c.Size,
			},
			Bucket:         COSBucket{Region: c.Region, Name: bucketShort(c.Bucket, c.AppID), AppID: c.AppID},
			NotificationID: "unknown",
		},
		Event: COSMeta{
			Name: c.Event, Version: "1.0", Time: c.Time.Unix(), Source: "qcs::cos",
			RequestParameters: COSRequestParams{SourceIP: "127.0.0.1", Headers: map[string]string{"Authorization": ""}},
			Queue:             "qcs:0:scf:" + c.Region + ":appid/" + c.AppID + ":default.emulator.$DEFAULT",
			ReqID:             c.ReqID,
		},
	}
}

// bucketShort drops the -appid suffix: the record's cosBucket.name and the
// key's middle part are the name without it.
func bucketShort(bucket, appid string) string {
	if n := len(bucket) - len(appid) - 1; n > 0 && bucket[n:] == "-"+appid {
		return bucket[:n]
	}
	return bucket
}

// CKafkaEvent is a batch of CKafka messages.
type CKafkaEvent struct {
	Records []CKafkaRecord `json:"Records"`
}

// CKafkaRecord wraps one message.
type CKafkaRecord struct {
	Ckafka CKafkaMessage `json:"Ckafka"`
}

// CKafkaMessage is one message with its place in the topic.
type CKafkaMessage struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	MsgKey    string `json:"msgKey"`
	MsgBody   string `json:"msgBody"`
}

// CMQEvent is a batch of CMQ topic messages.
type CMQEvent struct {
	Records []CMQRecord `json:"Records"`
}

// CMQRecord wraps one message.
type CMQRecord struct {
	CMQ CMQMessage `json:"CMQ"`
}

// CMQMessage is one topic message as a subscription receives it.
type CMQMessage struct {
	Type             string   `json:"type"` // "topic"
	TopicOwner       int64    `json:"topicOwner"`
	TopicName        string   `json:"topicName"`
	SubscriptionName string   `json:"subscriptionName"`
	PublishTime      string   `json:"publishTime"` // RFC 3339 with milliseconds
	MsgID            string   `json:"msgId"`
	RequestID        string   `json:"requestId"`
	MsgBody          string   `json:"msgBody"`
	MsgTag           []string `json:"msgTag"`
}

// CLBEvent is what a CLB trigger sends for one HTTP request.
type CLBEvent struct {
	Headers         map[string]string `json:"headers"`
	Payload         string            `json:"payload"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// CLBRequest is the request a CLB listener received.
type CLBRequest struct {
	Method   string
	URI      string // path and query as sent
	Host     string
	VIP      string // the listener's address
	ClientIP string
	Proto    string // http or https
	Headers  map[string]string
	Body     []byte
	Time     time.Time
}

// NewCLBEvent returns the event of request r: its headers plus the X-Stgw
// and X-* headers the load balancer adds, and the body, base64 when it is
// not UTF-8 text.
func NewCLBEvent(r CLBRequest) CLBEvent {
	h := make(map[string]string, len(r.Headers)+8)
	for k, v := range r.Headers {
		h[k] = v
	}
	h["X-Stgw-Time"] = strconv.FormatFloat(float64(r.Time.UnixMilli())/1000, 'f', 3, 64)
	h["X-Client-Proto"] = r.Proto
	h["X-Client-Proto-Ver"] = "HTTP/1.1"
	h["X-Forwarded-Proto"] = r.Proto
	h["X-Real-IP"] = r.ClientIP
	h["X-Forwarded-For"] = r.ClientIP
	h["X-Vip"] = r.VIP
	h["X-Uri"] = r.URI
	h["X-Method"] = r.Method
	h["Host"] = r.Host
	ev := CLBEvent{Headers: h, Payload: string(r.Body)}
	if !utf8.Valid(r.Body) {
		ev.Payload, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(r.Body), true
	}
	return ev
}
