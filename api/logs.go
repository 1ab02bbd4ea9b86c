package api

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"time"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

const (
	// maxLogWindow is Offset+Limit's ceiling on GetFunctionLogs.
	maxLogWindow = 10000
	// requestStatusWindow is GetRequestStatus' default look-back.
	requestStatusWindow = 15 * time.Minute
)

type getFunctionLogsOut struct {
	TotalCount    int64                 `json:"TotalCount"`
	Data          []*scf.FunctionLog    `json:"Data"`
	SearchContext *scf.LogSearchContext `json:"SearchContext"`
}

type getRequestStatusOut struct {
	TotalCount int64                `json:"TotalCount"`
	Data       []*scf.RequestStatus `json:"Data"`
}

// retCodeFilters are GetFunctionLogs' Filter.RetCode values, as predicates
// over the SCF status of a finished invocation.
var retCodeFilters = map[string]func(status int) bool{
	"is0":                   func(s int) bool { return s == 200 },
	"not0":                  func(s int) bool { return s != 200 },
	"TimeLimitExceeded":     func(s int) bool { return s == 433 },
	"ResourceLimitExceeded": func(s int) bool { return s == 429 || s == 432 || s == 434 },
	"UserCodeException":     func(s int) bool { return s == 430 || s == 443 },
}

// getFunctionLogs lists invocation records, newest first by default. The
// platform has retired this action in favour of GetRequestStatus and CLS;
// the emulator keeps it because scripts still call it. The platform's
// one-day limit on the StartTime..EndTime window is not applied.
func (s *Server) getFunctionLogs(ctx context.Context, c *call) (any, error) {
	var p scf.GetFunctionLogsRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	c.name, c.namespace = str(p.FunctionName), namespaceOf(str(p.Namespace))
	c.function = registry.Key(c.namespace, c.name)
	if c.name == "" {
		c.function = ""
	}
	if err := c.checkNamespace(p.Namespace); err != nil {
		return nil, err
	}
	pg, err := pagingFromInts(p.Offset, p.Limit)
	if err != nil {
		return nil, err
	}
	if pg.offset+pg.limit > maxLogWindow {
		return nil, newError(codeOffsetLimit, "Offset+Limit is %d; it may be at most %d", pg.offset+pg.limit, maxLogWindow)
	}
	desc, err := sortOrder(p.Order)
	if err != nil {
		return nil, err
	}
	orderBy, err := oneOf(p.OrderBy, codeBadOrderBy, "OrderBy", "function_name", "duration", "mem_usage", "start_time")
	if err != nil {
		return nil, err
	}
	var keep func(int) bool
	if p.Filter != nil && str(p.Filter.RetCode) != "" {
		if keep = retCodeFilters[*p.Filter.RetCode]; keep == nil {
			return nil, newError(codeBadRetCode, "Filter.RetCode must be not0, is0, TimeLimitExceeded, ResourceLimitExceeded or UserCodeException, got %q", *p.Filter.RetCode)
		}
	}
	start, end, err := timeWindow(p.StartTime, p.EndTime)
	if err != nil {
		return nil, err
	}
	if c.function != "" {
		if _, err := s.backend.Function(c.function); err != nil {
			return nil, err
		}
	}
	q := LogQuery{Function: c.function, Qualifier: str(p.Qualifier), RequestID: str(p.FunctionRequestId), Start: start, End: end}
	entries, err := s.logs(ctx, q)
	if err != nil {
		return nil, err
	}
	if keep != nil {
		entries = slices.DeleteFunc(entries, func(e LogEntry) bool { return e.Running || !keep(e.Status) })
	}
	slices.SortStableFunc(entries, func(a, b LogEntry) int {
		r := 0
		switch orderBy {
		case "function_name":
			r = cmp.Compare(a.Function, b.Function)
		case "duration":
			r = cmp.Compare(a.Duration, b.Duration)
		case "mem_usage":
			r = cmp.Compare(a.MemUsage, b.MemUsage)
		}
		if r == 0 {
			r = a.StartTime.Compare(b.StartTime)
		}
		if desc {
			r = -r
		}
		return r
	})
	list := page(entries, pg)
	out := getFunctionLogsOut{
		TotalCount: int64(len(entries)),
		Data:       make([]*scf.FunctionLog, 0, len(list)),
		// Retired on the platform; sent empty for clients that read it.
		SearchContext: &scf.LogSearchContext{Offset: ptr(""), Limit: ptr(uint64(0)), Keyword: ptr(""), Type: ptr("")},
	}
	for _, e := range list {
		retCode, finished := int64(0), int64(1)
		switch {
		case e.Running:
			retCode, finished = 2, 0 // the platform's "still running"
		case e.Status != 200:
			retCode = int64(e.Status)
		}
		out.Data = append(out.Data, &scf.FunctionLog{
			FunctionName: ptr(registry.NameOf(e.Function)), RetMsg: ptr(e.RetMsg), RequestId: ptr(e.RequestID),
			StartTime: ptr(formatTime(e.StartTime)), RetCode: ptr(retCode), InvokeFinished: ptr(finished),
			Duration: ptr(ms(e.Duration)), BillDuration: ptr(e.BillDuration.Milliseconds()), MemUsage: ptr(e.MemUsage),
			Log: ptr(e.Log), Level: ptr(""), Source: ptr(""), RetryNum: ptr(uint64(e.RetryNum)),
		})
	}
	return out, nil
}

// getRequestStatus reports one request's outcome: RetCode 0 success, 1
// running, -1 failure. The window defaults to the last 15 minutes, as on the
// platform.
func (s *Server) getRequestStatus(ctx context.Context, c *call) (any, error) {
	var p scf.GetRequestStatusRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("FunctionRequestId", p.FunctionRequestId)); err != nil {
		return nil, err
	}
	if str(p.StartTime) != "" && str(p.EndTime) == "" {
		return nil, newError(codeBadTimeRange, "EndTime is required when StartTime is given")
	}
	start, end, err := timeWindow(p.StartTime, p.EndTime)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if end.IsZero() {
		end = now
	}
	if start.IsZero() {
		start = now.Add(-requestStatusWindow)
	}
	if end.Before(start) {
		return nil, newError(codeBadTimeRange, "EndTime %s is before StartTime %s", formatTime(end), formatTime(start))
	}
	if _, err := s.backend.Function(c.function); err != nil {
		return nil, err
	}
	entries, err := s.logs(ctx, LogQuery{Function: c.function, RequestID: *p.FunctionRequestId, Start: start, End: end})
	if err != nil {
		return nil, err
	}
	out := getRequestStatusOut{TotalCount: int64(len(entries)), Data: make([]*scf.RequestStatus, 0, len(entries))}
	for _, e := range entries {
		code := int64(0)
		switch {
		case e.Running:
			code = 1
		case e.Status != 200:
			code = -1
		}
		out.Data = append(out.Data, &scf.RequestStatus{
			FunctionName: ptr(registry.NameOf(e.Function)), RetMsg: ptr(e.RetMsg), RequestId: ptr(e.RequestID),
			StartTime: ptr(formatTime(e.StartTime)), RetCode: ptr(code), Duration: ptr(ms(e.Duration)),
			MemUsage: ptr(math.Round(float64(e.MemUsage)/(1<<20)*100) / 100), RetryNum: ptr(int64(e.RetryNum)),
		})
	}
	return out, nil
}

// logs asks the backend and applies q itself, since the backend may answer
// with more than q selects. A finished entry without a status succeeded.
func (s *Server) logs(ctx context.Context, q LogQuery) ([]LogEntry, error) {
	entries, err := s.backend.FunctionLogs(ctx, q)
	if err != nil {
		return nil, err
	}
	entries = slices.DeleteFunc(slices.Clone(entries), func(e LogEntry) bool { return !q.matches(e) })
	for i := range entries {
		if entries[i].Status == 0 && !entries[i].Running {
			entries[i].Status = 200
		}
	}
	return entries, nil
}

// timeWindow parses the platform's "2006-01-02 15:04:05" times, in local
// time as the API shows them; an absent time is zero.
func timeWindow(startText, endText *string) (start, end time.Time, err error) {
	parse := func(name string, v *string) (time.Time, error) {
		if strings.TrimSpace(str(v)) == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation(timeLayout, strings.TrimSpace(*v), time.Local)
		if err != nil {
			return time.Time{}, newError(codeBadDateTime, "%s %q is not a time like 2017-05-16 20:00:00", name, *v)
		}
		return t, nil
	}
	if start, err = parse("StartTime", startText); err != nil {
		return
	}
	if end, err = parse("EndTime", endText); err != nil {
		return
	}
	if !end.IsZero() {
		end = end.Add(time.Second - time.Nanosecond) // the whole last second counts
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		err = newError(codeBadTimeRange, "EndTime %s is before StartTime %s", *endText, *startText)
	}
	return
}

// ms renders a duration in milliseconds with microsecond precision.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
