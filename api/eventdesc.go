package api

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/trigger"
)

// parseEventDesc fills t's fields from the TriggerDesc of a timer, cos,
// ckafka, cmq or clb trigger (t.Type, t.Name set):
//
//	timer:  "0 */5 * * * * *" or {"cron":"0 */5 * * * * *"}; CustomArgument is the Message
//	cos:    {"event":"cos:ObjectCreated:*","filter":{"Prefix":"in/","Suffix":".jpg"},
//	         "bucketUrl":"photos-1250000000.cos.ap-guangzhou.myqcloud.com"} or "bucket":"/local/folder"
//	ckafka: {"topicName":"orders","maxMsgNum":"10","retry":"3","maxWaitTime":"1000"}
//	cmq:    {"topicName":"alerts"} (default: the trigger's name, as the platform names CMQ triggers)
//	clb:    {"path":"/shop","method":"ANY"}
//
// Numbers may be JSON numbers or strings, as the platform's own descs mix
// them.
func (s *Server) parseEventDesc(t *registry.Trigger, desc, custom string) error {
	desc = strings.TrimSpace(desc)
	if t.Type == registry.TriggerTimer {
		t.Message = custom
		if !strings.HasPrefix(desc, "{") {
			t.Cron = desc
			return checkCron(t.Cron)
		}
	}
	m := map[string]any{}
	if desc != "" {
		if err := json.Unmarshal([]byte(desc), &m); err != nil {
			return newError(codeBadTriggerDesc, "TriggerDesc of a %s trigger must be a JSON object: %v", t.Type, err)
		}
	}
	get := func(key string) string {
		switch v := m[key].(type) {
		case string:
			return v
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			return strconv.FormatBool(v)
		}
		return ""
	}
	num := func(key string, dst *int) error {
		v := get(key)
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return newError(codeBadTriggerDesc, "TriggerDesc %s %q is not a whole number", key, v)
		}
		*dst = n
		return nil
	}
	switch t.Type {
	case registry.TriggerTimer:
		t.Cron = get("cron")
		return checkCron(t.Cron)
	case registry.TriggerCOS:
		t.Events = get("event")
		if f, ok := m["filter"].(map[string]any); ok {
			t.Prefix, _ = f["Prefix"].(string)
			t.Suffix, _ = f["Suffix"].(string)
		}
		t.Bucket = get("bucket")
		if t.Bucket == "" {
			name, _, _ := strings.Cut(get("bucketUrl"), ".")
			if name == "" || s.opts.BucketRoot == "" || strings.ContainsAny(name, `/\`) || name == ".." {
				return newError(codeBadTriggerDesc, "TriggerDesc of a cos trigger needs bucketUrl (such as photos-1250000000.cos.ap-guangzhou.myqcloud.com) or bucket (a local folder)")
			}
			t.Bucket = filepath.Join(s.opts.BucketRoot, name)
		}
		if abs, err := filepath.Abs(t.Bucket); err == nil {
			t.Bucket = abs
		}
	case registry.TriggerCKafka, registry.TriggerCMQ:
		t.Topic = get("topicName")
		if t.Topic == "" && t.Type == registry.TriggerCMQ {
			t.Topic = t.Name
		}
		for _, f := range []struct {
			key string
			dst *int
		}{{"maxMsgNum", &t.Batch}, {"retry", &t.Retry}, {"maxWaitTime", &t.MaxWaitMs}} {
			if err := num(f.key, f.dst); err != nil {
				return err
			}
		}
	case registry.TriggerCLB:
		t.Path, t.Method = get("path"), get("method")
	}
	return nil
}

func checkCron(expr string) error {
	if _, err := trigger.ParseCron(expr); err != nil {
		return newError(codeBadTriggerDesc, "TriggerDesc: %v", err)
	}
	return nil
}

// renderEventDesc returns the TriggerDesc ListTriggers shows for a
// non-apigw trigger.
func renderEventDesc(t registry.Trigger) string {
	var v any
	switch t.Type {
	case registry.TriggerTimer:
		v = map[string]string{"cron": t.Cron}
	case registry.TriggerCOS:
		v = map[string]any{"event": t.Events, "filter": map[string]string{"Prefix": t.Prefix, "Suffix": t.Suffix},
			"bucketUrl": filepath.Base(t.Bucket) + ".cos.ap-guangzhou.myqcloud.com", "bucket": t.Bucket}
	case registry.TriggerCKafka, registry.TriggerCMQ:
		v = map[string]string{"topicName": t.Topic, "maxMsgNum": strconv.Itoa(t.Batch), "retry": strconv.Itoa(t.Retry),
			"maxWaitTime": strconv.Itoa(t.MaxWaitMs)}
	case registry.TriggerCLB:
		v = map[string]string{"path": t.Path, "method": t.Method}
	default:
		return t.Desc
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", err)
	}
	return string(b)
}
