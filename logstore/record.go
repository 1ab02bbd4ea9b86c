package logstore

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sources of an invocation, stored in Record.Source.
const (
	SourceGateway = "gateway"
	SourceAPI     = "api"
	SourceAsync   = "async"
)

// Record is one invocation as the platform's logs and the request-status APIs
// see it. On disk it is one JSON line; durations are integer nanoseconds.
type Record struct {
	RequestID    string        `json:"requestId"`
	Function     string        `json:"function"`            // the registry key: "ns/name" outside default
	Namespace    string        `json:"namespace,omitempty"` // "" is stored as "default"
	Qualifier    string        `json:"qualifier,omitempty"` // as asked: alias or version
	Version      string        `json:"version"`             // the version that ran
	Alias        string        `json:"alias,omitempty"`     // "" when invoked directly by version
	Source       string        `json:"source,omitempty"`    // SourceGateway, SourceAPI or SourceAsync
	StartTime    time.Time     `json:"startTime"`
	Duration     time.Duration `json:"durationNs"`
	BillDuration time.Duration `json:"billDurationNs"` // Duration rounded up to 1 ms when left 0
	MemUsage     int64         `json:"memUsage"`       // bytes
	MemoryMB     int           `json:"memoryMB"`       // configured limit
	Status       int           `json:"status"`         // SCF status: 200, 430, 433, ...
	RetMsg       string        `json:"retMsg,omitempty"`
	Log          string        `json:"log,omitempty"` // the function's own output for this invocation
	ColdStart    bool          `json:"coldStart,omitempty"`
	InitDuration time.Duration `json:"initDurationNs,omitempty"`
	Running      bool          `json:"running,omitempty"`  // async invocation still in progress
	Trigger      string        `json:"trigger,omitempty"`  // the trigger that fired it: timer, cos, ckafka, cmq, clb
	RetryNum     int           `json:"retryNum,omitempty"` // SCF_RetryNum: the async retry this attempt is
	Stage        string        `json:"stage,omitempty"`    // the API Gateway stage of a gateway call
}

// RetCode is the request-status code of r as GetRequestStatus reports it:
// 1 while running, 0 for success, -1 for any failure.
func (r Record) RetCode() int {
	switch {
	case r.Running:
		return 1
	case r.Status == 200 || r.Status == 0:
		return 0
	default:
		return -1
	}
}

// failed reports whether r finished with an error status.
func (r Record) failed() bool { return r.RetCode() == -1 }

// BillDuration rounds d up to a whole millisecond, the newer platform's
// billing granularity (reference 3.3, ambiguity 12).
func BillDuration(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return (d + time.Millisecond - 1) / time.Millisecond * time.Millisecond
}

// size estimates the memory a record holds, for the per-function byte bound.
func (r *Record) size() int64 {
	const fixed = 256 // struct, time and slice headers
	return fixed + int64(len(r.RequestID)+len(r.Function)+len(r.Namespace)+len(r.Qualifier)+
		len(r.Version)+len(r.Alias)+len(r.Source)+len(r.RetMsg)+len(r.Log)+len(r.Trigger)+len(r.Stage))
}

// Truncate bounds s to at most limit bytes, keeping its head and its tail
// around a marker that says how many bytes were dropped. The result never
// shares memory with s once it is cut, so a huge input can be freed, and it
// never splits a UTF-8 sequence. A limit under about 40 bytes leaves only
// the marker, which may exceed it.
func Truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	// The marker length depends on the count, which depends on the marker:
	// size it for the worst case (the whole input dropped).
	marker := func(n int) string { return "\n... " + strconv.Itoa(n) + " bytes dropped ...\n" }
	room := limit - len(marker(len(s)))
	if room < 0 {
		room = 0
	}
	head := cutBack(s, room/2)
	tail := cutFront(s, len(s)-(room-head))
	var b strings.Builder
	b.Grow(limit)
	b.WriteString(s[:head])
	b.WriteString(marker(tail - head))
	b.WriteString(s[tail:])
	return b.String()
}

// cutBack moves i back to the start of a UTF-8 sequence.
func cutBack(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// cutFront moves i forward to the start of a UTF-8 sequence.
func cutFront(s string, i int) int {
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return i
}
