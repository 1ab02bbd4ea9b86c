package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/trigger"
)

// fireRequest and sendRequest are the bodies of the admin endpoints behind
// `emulator trigger fire` and `emulator send`.
type fireRequest struct {
	Function string `json:"function"`
	Trigger  string `json:"trigger"`
}

type sendRequest struct {
	Kind     string            `json:"kind"` // ckafka or cmq
	Topic    string            `json:"topic"`
	Messages []trigger.Message `json:"messages"`
}

// registerTriggerEndpoints adds POST /emulator/triggers/fire and
// POST /emulator/messages to the admin server.
func (a *App) registerTriggerEndpoints(s *admin.Server) {
	s.Handle("POST /emulator/triggers/fire", func(w http.ResponseWriter, r *http.Request) error {
		var req fireRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
			return fmt.Errorf("%w: body: %v", admin.ErrBadRequest, err)
		}
		id, err := a.trig.Fire(req.Function, req.Trigger)
		if err != nil {
			if errors.Is(err, registry.ErrTriggerNotFound) || errors.Is(err, registry.ErrFunctionNotFound) {
				return fmt.Errorf("%w: %v", admin.ErrNotFound, err)
			}
			return fmt.Errorf("%w: %v", admin.ErrBadRequest, err)
		}
		return writeAnswer(w, map[string]string{"requestId": id})
	})
	s.Handle("POST /emulator/messages", func(w http.ResponseWriter, r *http.Request) error {
		var req sendRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 6<<20)).Decode(&req); err != nil {
			return fmt.Errorf("%w: body: %v", admin.ErrBadRequest, err)
		}
		if req.Kind != trigger.KindCKafka && req.Kind != trigger.KindCMQ {
			return fmt.Errorf("%w: kind %q must be ckafka or cmq", admin.ErrBadRequest, req.Kind)
		}
		pubs, err := a.trig.Send(req.Kind, req.Topic, req.Messages)
		if err != nil {
			return fmt.Errorf("%w: %v", admin.ErrBadRequest, err)
		}
		return writeAnswer(w, pubs)
	})
}

func writeAnswer(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

// cmdTrigger: emulator trigger fire FUNCTION TRIGGER.
func cmdTrigger(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "management API URL")
	ns := namespaceFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) != 3 || pos[0] != "fire" {
		return usageError{errors.New("usage: emulator trigger fire FUNCTION TRIGGER")}
	}
	fn, err := functionKey(*ns, pos[1])
	if err != nil {
		return err
	}
	c, err := newEmuClient(*endpoint)
	if err != nil {
		return err
	}
	var out map[string]string
	if err := c.doJSON(ctx, http.MethodPost, "/emulator/triggers/fire", nil, fireRequest{Function: fn, Trigger: pos[2]}, &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fired %s of %s: request %s\n", pos[2], pos[1], out["requestId"])
	return nil
}

// cmdSend: emulator send ckafka|cmq TOPIC MESSAGE...
func cmdSend(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "management API URL")
	key := fs.String("key", "", "message key (CKafka: picks the partition; CMQ: the tag)")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) < 3 || (pos[0] != trigger.KindCKafka && pos[0] != trigger.KindCMQ) {
		return usageError{errors.New("usage: emulator send ckafka|cmq TOPIC MESSAGE...")}
	}
	req := sendRequest{Kind: pos[0], Topic: pos[1]}
	for _, m := range pos[2:] {
		req.Messages = append(req.Messages, trigger.Message{Key: *key, Body: m})
	}
	c, err := newEmuClient(*endpoint)
	if err != nil {
		return err
	}
	var pubs []trigger.Published
	if err := c.doJSON(ctx, http.MethodPost, "/emulator/messages", nil, req, &pubs); err != nil {
		return err
	}
	for i, p := range pubs {
		if p.MsgID != "" {
			fmt.Fprintf(stdout, "%s: msgId %s\n", pos[2+i], p.MsgID)
		} else {
			fmt.Fprintf(stdout, "%s: partition %d offset %d\n", pos[2+i], p.Partition, p.Offset)
		}
	}
	return nil
}

// cmdEvent: emulator event TYPE [flags] prints an event of the platform's
// shape.
func cmdEvent(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("event", flag.ContinueOnError)
	bucket := fs.String("bucket", "photos-1250000000", "cos: bucket name")
	key := fs.String("key", "test.jpg", "cos: object key; ckafka: message key")
	cosEvent := fs.String("event", trigger.COSCreatedPut, "cos: event name")
	size := fs.Int64("size", 1024, "cos: object size")
	topic := fs.String("topic", "test-topic", "ckafka, cmq: topic")
	body := fs.String("body", "", "apigw, clb: request body; ckafka, cmq: message body; timer: Message")
	method := fs.String("method", "GET", "apigw, clb: HTTP method")
	path := fs.String("path", "/", "apigw, clb: request path, may carry ?query")
	stage := fs.String("stage", "release", "apigw: stage")
	name := fs.String("name", "timer", "timer: trigger name")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) != 1 {
		return usageError{errors.New("usage: emulator event apigw|timer|cos|ckafka|cmq|clb [flags]")}
	}
	now := time.Now()
	var ev any
	switch pos[0] {
	case "apigw":
		ev = trigger.NewAPIGWEvent(trigger.APIGWRequest{Method: *method, Path: *path, Body: *body, Stage: *stage,
			ServiceID: "service-emulator", RequestID: uuid.NewString()})
	case "timer":
		ev = trigger.NewTimerEvent(*name, *body, now.Truncate(time.Second))
	case "cos":
		if err := trigger.CheckCOSEvents(*cosEvent); err != nil || strings.HasSuffix(*cosEvent, "*") {
			return usageError{fmt.Errorf("--event %q: name one event, such as %s", *cosEvent, trigger.COSCreatedPut)}
		}
		ev = trigger.COSEvent{Records: []trigger.COSRecord{trigger.NewCOSRecord(trigger.COSChange{Event: *cosEvent, Bucket: *bucket,
			Region: trigger.DefaultRegion, AppID: trigger.DefaultAppID, Key: strings.TrimPrefix(*key, "/"), Size: *size, Time: now, ReqID: 1})}}
	case "ckafka":
		ev = trigger.CKafkaEvent{Records: []trigger.CKafkaRecord{{Ckafka: trigger.CKafkaMessage{Topic: *topic, MsgKey: *key, MsgBody: *body}}}}
	case "cmq":
		ev = trigger.CMQEvent{Records: []trigger.CMQRecord{{CMQ: trigger.CMQMessage{Type: "topic", TopicOwner: 1250000000, TopicName: *topic,
			SubscriptionName: "emulator", PublishTime: now.UTC().Format("2006-01-02T15:04:05.000Z"), MsgID: "1", RequestID: uuid.NewString(),
			MsgBody: *body, MsgTag: []string{}}}}}
	case "clb":
		ev = trigger.NewCLBEvent(trigger.CLBRequest{Method: strings.ToUpper(*method), URI: *path, Host: "127.0.0.1", VIP: "127.0.0.1",
			ClientIP: "127.0.0.1", Proto: "http", Headers: map[string]string{}, Body: []byte(*body), Time: now})
	default:
		return usageError{fmt.Errorf("event type %q is not one of apigw, timer, cos, ckafka, cmq, clb", pos[0])}
	}
	return printJSON(stdout, ev)
}
