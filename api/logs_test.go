package api

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// logClock is "now" for the log tests: t0 plus one hour.
var logClock = t0.Add(time.Hour)

// seedLogs gives the fake five records of hello and one of web.
func seedLogs(b *fakeBackend) {
	at := func(min int) time.Time { return logClock.Add(time.Duration(min) * time.Minute) }
	b.logs = []LogEntry{
		{RequestID: "ok-1", Function: "hello", Qualifier: "release", Version: "1", Alias: "release", StartTime: at(-50),
			Duration: 1500 * time.Microsecond, BillDuration: 2 * time.Millisecond, MemUsage: 3 << 20, Status: 200, RetMsg: `"one"`, Log: "START\nEND\n"},
		{RequestID: "user-err", Function: "hello", Qualifier: "release", Version: "2", Alias: "release", StartTime: at(-40),
			Duration: 5 * time.Millisecond, MemUsage: 1 << 20, Status: 430, RetMsg: `{"errorCode":1,"statusCode":430}`},
		{RequestID: "timeout", Function: "hello", Qualifier: "$LATEST", Version: "$LATEST", StartTime: at(-10),
			Duration: 3 * time.Second, MemUsage: 2 << 20, Status: 433, RetMsg: `{"statusCode":433}`},
		{RequestID: "running", Function: "hello", Qualifier: "$DEFAULT", Version: "$LATEST", Alias: "$DEFAULT", StartTime: at(-5), Running: true},
		{RequestID: "ok-2", Function: "hello", Qualifier: "2", Version: "2", StartTime: at(-1),
			Duration: 700 * time.Microsecond, MemUsage: 5 << 20, Status: 200, RetMsg: `"two"`},
		{RequestID: "web-1", Function: "web", Qualifier: "$DEFAULT", Version: "$LATEST", StartTime: at(-2)}, // no status: success
	}
}

func TestGetFunctionLogs(t *testing.T) {
	h := newHarnessWith(t, Options{Now: func() time.Time { return logClock }})
	seedLogs(h.backend)
	ids := func(d []*scf.FunctionLog) string {
		var out []string
		for _, l := range d {
			out = append(out, *l.RequestId)
		}
		return strings.Join(out, ",")
	}
	tf := func(min int) *string { return s(formatTime(logClock.Add(time.Duration(min) * time.Minute))) }
	tests := []struct {
		name   string
		mutate func(r *scf.GetFunctionLogsRequest)
		want   string
		total  int64
	}{
		{"newest first", nil, "ok-2,running,timeout,user-err,ok-1", 5},
		{"ascending", func(r *scf.GetFunctionLogsRequest) { r.Order = s("asc") }, "ok-1,user-err,timeout,running,ok-2", 5},
		{"by duration", func(r *scf.GetFunctionLogsRequest) { r.OrderBy, r.Order = s("duration"), s("desc") }, "timeout,user-err,ok-1,ok-2,running", 5},
		{"by memory ascending", func(r *scf.GetFunctionLogsRequest) { r.OrderBy, r.Order = s("mem_usage"), s("ASC") }, "running,user-err,timeout,ok-1,ok-2", 5},
		{"paged", func(r *scf.GetFunctionLogsRequest) { r.Offset, r.Limit = common.Int64Ptr(1), common.Int64Ptr(2) }, "running,timeout", 5},
		{"errors only", func(r *scf.GetFunctionLogsRequest) { r.Filter = &scf.LogFilter{RetCode: s("not0")} }, "timeout,user-err", 2},
		{"successes only", func(r *scf.GetFunctionLogsRequest) { r.Filter = &scf.LogFilter{RetCode: s("is0")} }, "ok-2,ok-1", 2},
		{"timeouts", func(r *scf.GetFunctionLogsRequest) { r.Filter = &scf.LogFilter{RetCode: s("TimeLimitExceeded")} }, "timeout", 1},
		{"user errors", func(r *scf.GetFunctionLogsRequest) { r.Filter = &scf.LogFilter{RetCode: s("UserCodeException")} }, "user-err", 1},
		{"by alias", func(r *scf.GetFunctionLogsRequest) { r.Qualifier = s("release") }, "user-err,ok-1", 2},
		{"by version", func(r *scf.GetFunctionLogsRequest) { r.Qualifier = s("2") }, "ok-2,user-err", 2},
		{"by request", func(r *scf.GetFunctionLogsRequest) { r.FunctionRequestId = s("timeout") }, "timeout", 1},
		{"window", func(r *scf.GetFunctionLogsRequest) { r.StartTime, r.EndTime = tf(-45), tf(-5) }, "running,timeout,user-err", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scf.NewGetFunctionLogsRequest()
			r.FunctionName = s("hello")
			if tc.mutate != nil {
				tc.mutate(r)
			}
			resp, err := h.client.GetFunctionLogs(r)
			must(t, err)
			if got := ids(resp.Response.Data); got != tc.want || *resp.Response.TotalCount != tc.total {
				t.Errorf("logs %s total %d, want %s total %d", got, *resp.Response.TotalCount, tc.want, tc.total)
			}
		})
	}
	r := scf.NewGetFunctionLogsRequest()
	r.FunctionName, r.Order = s("hello"), s("ASC")
	resp, err := h.client.GetFunctionLogs(r)
	must(t, err)
	d := resp.Response.Data
	ok, fail, run := d[0], d[1], d[3]
	if *ok.RetCode != 0 || *ok.InvokeFinished != 1 || *ok.Duration != 1.5 || *ok.BillDuration != 2 || *ok.MemUsage != 3<<20 ||
		*ok.RetMsg != `"one"` || *ok.Log != "START\nEND\n" || *ok.StartTime != formatTime(logClock.Add(-50*time.Minute)) || *ok.FunctionName != "hello" {
		t.Errorf("success record = %s", resp.ToJsonString())
	}
	if *fail.RetCode != 430 || *fail.InvokeFinished != 1 {
		t.Errorf("failed record RetCode %d InvokeFinished %d, want 430 and 1", *fail.RetCode, *fail.InvokeFinished)
	}
	if *run.RetCode != 2 || *run.InvokeFinished != 0 {
		t.Errorf("running record RetCode %d InvokeFinished %d, want 2 and 0", *run.RetCode, *run.InvokeFinished)
	}
	// Without a function name every function's records come back.
	all, err := h.client.GetFunctionLogs(scf.NewGetFunctionLogsRequest())
	must(t, err)
	if *all.Response.TotalCount != 6 {
		t.Errorf("all functions: %d records, want 6", *all.Response.TotalCount)
	}
	for _, l := range all.Response.Data {
		if *l.RequestId == "web-1" && *l.RetCode != 0 {
			t.Errorf("a record without status has RetCode %d, want 0", *l.RetCode)
		}
	}
	if q := h.backend.logQueries[len(h.backend.logQueries)-1]; q.Function != "" {
		t.Errorf("backend asked for function %q, want every function", q.Function)
	}
}

func TestGetFunctionLogsErrors(t *testing.T) {
	h := newHarness(t)
	tests := []struct{ body, code, msgHas string }{
		{`{"FunctionName":"nope"}`, "ResourceNotFound.Function", "nope"},
		{`{"FunctionName":"hello","Filter":{"RetCode":"bad"}}`, "InvalidParameterValue.RetCode", "bad"},
		{`{"FunctionName":"hello","OrderBy":"size"}`, "InvalidParameterValue.OrderBy", "size"},
		{`{"FunctionName":"hello","Order":"up"}`, "InvalidParameterValue.Order", "up"},
		{`{"FunctionName":"hello","Offset":9990,"Limit":20}`, "LimitExceeded.Offset", "10000"},
		{`{"FunctionName":"hello","Offset":-1}`, "InvalidParameterValue.Offset", "-1"},
		{`{"FunctionName":"hello","StartTime":"yesterday"}`, "InvalidParameterValue.DateTime", "yesterday"},
		{`{"FunctionName":"hello","StartTime":"2026-01-02 10:00:00","EndTime":"2026-01-02 09:00:00"}`, "InvalidParameterValue.StartTimeOrEndTime", "before"},
		{`{"FunctionName":"hello","Namespace":"x"}`, "ResourceNotFound.Namespace", "x"},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			_, data := h.raw(t, "GetFunctionLogs", APIVersion, tc.body)
			e := decodeEnvelope(t, data)
			if e.Response.Error == nil || e.Response.Error.Code != tc.code || !strings.Contains(e.Response.Error.Message, tc.msgHas) {
				t.Errorf("answer %s, want %s mentioning %q", data, tc.code, tc.msgHas)
			}
		})
	}
	h.backend.fail["FunctionLogs"] = errors.New("log store closed")
	_, data := h.raw(t, "GetFunctionLogs", APIVersion, `{"FunctionName":"hello"}`)
	if rawCode(t, data) != "InternalError" {
		t.Errorf("a store failure = %s, want InternalError", data)
	}
	h.backend.fail["FunctionLogs"] = nil
	_, data = h.raw(t, "GetFunctionLogs", APIVersion, `{"FunctionName":"hello"}`)
	if !strings.Contains(string(data), `"Data":[]`) || !strings.Contains(string(data), `"TotalCount":0`) {
		t.Errorf("no records = %s, want Data [] and TotalCount 0", data)
	}
}

func TestGetRequestStatus(t *testing.T) {
	h := newHarnessWith(t, Options{Now: func() time.Time { return logClock }})
	seedLogs(h.backend)
	status := func(id string, mutate func(r *scf.GetRequestStatusRequest)) (*scf.GetRequestStatusResponseParams, error) {
		r := scf.NewGetRequestStatusRequest()
		r.FunctionName, r.FunctionRequestId = s("hello"), s(id)
		if mutate != nil {
			mutate(r)
		}
		resp, err := h.client.GetRequestStatus(r)
		if err != nil {
			return nil, err
		}
		return resp.Response, nil
	}
	tests := []struct {
		id      string
		retCode int64
	}{
		{"ok-2", 0},
		{"timeout", -1},
		{"running", 1},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			r, err := status(tc.id, nil)
			must(t, err)
			if *r.TotalCount != 1 || len(r.Data) != 1 || *r.Data[0].RetCode != tc.retCode || *r.Data[0].RequestId != tc.id {
				t.Errorf("status of %s = %+v, want one record with RetCode %d", tc.id, r, tc.retCode)
			}
		})
	}
	r, err := status("ok-2", nil)
	must(t, err)
	d := r.Data[0]
	if *d.RetMsg != `"two"` || *d.Duration != 0.7 || *d.MemUsage != 5 || *d.FunctionName != "hello" || *d.RetryNum != 0 {
		t.Errorf("record = %+v", d)
	}
	// The default window is the last 15 minutes.
	r, err = status("user-err", nil)
	must(t, err)
	if *r.TotalCount != 0 || r.Data == nil {
		t.Errorf("a 40-minute-old request in the default window: %+v, want none and Data []", r)
	}
	r, err = status("user-err", func(q *scf.GetRequestStatusRequest) {
		q.StartTime, q.EndTime = s(formatTime(logClock.Add(-time.Hour))), s(formatTime(logClock))
	})
	must(t, err)
	if *r.TotalCount != 1 {
		t.Errorf("explicit window: %d records, want 1", *r.TotalCount)
	}
	errs := []struct {
		name   string
		id     string
		mutate func(r *scf.GetRequestStatusRequest)
		code   string
	}{
		{"no request id", "", nil, "MissingParameter"},
		{"start without end", "ok-2", func(r *scf.GetRequestStatusRequest) { r.StartTime = s(formatTime(logClock)) }, "InvalidParameterValue.StartTimeOrEndTime"},
		{"end before the default start", "ok-2", func(r *scf.GetRequestStatusRequest) { r.EndTime = s(formatTime(logClock.Add(-time.Hour))) }, "InvalidParameterValue.StartTimeOrEndTime"},
		{"bad time", "ok-2", func(r *scf.GetRequestStatusRequest) { r.StartTime, r.EndTime = s("now"), s("later") }, "InvalidParameterValue.DateTime"},
		{"missing function", "ok-2", func(r *scf.GetRequestStatusRequest) { r.FunctionName = s("nope") }, "ResourceNotFound.Function"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := status(tc.id, tc.mutate)
			wantCode(t, err, tc.code)
		})
	}
}

func TestInvokeAsync(t *testing.T) {
	h := newHarness(t)
	resp, data := h.raw(t, "Invoke", APIVersion, `{"FunctionName":"hello","InvocationType":"Event","Qualifier":"release","ClientContext":"{\"k\":1}","LogType":"Tail","RoutingKey":"{\"User\":\"Bob\"}"}`)
	if code := rawCode(t, data); code != "" {
		t.Fatalf("async invoke failed: %s", data)
	}
	want := `{"Response":{"Result":{"FunctionRequestId":"req-async"},"RequestId":"`
	if !strings.HasPrefix(string(data), want) {
		t.Errorf("answer = %s, want only FunctionRequestId in Result", data)
	}
	if got := resp.Header.Get("X-Scf-Version"); got != "2" {
		t.Errorf("X-Scf-Version = %q, want 2 (Bob's rule)", got)
	}
	got := h.backend.lastInvoke()
	if !got.Async || got.LogTail || got.Qualifier != "release" || string(got.Event) != `{"k":1}` || got.RoutingKey["User"] != "Bob" {
		t.Errorf("backend got %+v, want an async call without log tail", got)
	}
}
