package logstore

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// lineTimeFormat is RFC 3339 with milliseconds.
const lineTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Messages returns the platform's log messages for one invocation (the
// SCF_Message values of reference 7.2), in order:
//
//	START RequestId:<id>
//	Init Report RequestId:<id> Coldstart: 236ms Memory: 128MB      (cold start only)
//	<the function's output, one message per line>
//	ERROR RequestId:<id> Result:<error json>                        (failure only)
//	Response RequestId:<id> RetMsg:<return value>                   (success only)
//	END RequestId:<id>
//	Report RequestId:<id> Duration:1.25ms Memory:128MB MemUsage:29.73MB
//
// A running record stops after its output. The Init Report has no phase
// breakdown because the emulator measures start-up as a whole. Newlines
// inside RetMsg are escaped so each message stays one line.
func Messages(r Record) []string {
	id := r.RequestID
	out := make([]string, 0, 8+strings.Count(r.Log, "\n"))
	head := "START RequestId:" + id
	if r.Trigger != "" { // where the call came from: the trigger, or the gateway stage
		head += " Trigger:" + r.Source + ":" + r.Trigger
	} else if r.Stage != "" {
		head += " Stage:" + r.Stage
	}
	if r.RetryNum > 0 {
		head += " SCF_RetryNum:" + strconv.Itoa(r.RetryNum)
	}
	out = append(out, head)
	if r.ColdStart {
		m := "Init Report RequestId:" + id + " Coldstart: " + formatMs(r.InitDuration)
		if r.MemoryMB > 0 {
			m += " Memory: " + strconv.Itoa(r.MemoryMB) + "MB"
		}
		out = append(out, m)
	}
	out = append(out, outputLines(r.Log)...)
	if r.Running {
		return out
	}
	if r.failed() {
		res := r.RetMsg
		if res == "" {
			res = `{"statusCode":` + strconv.Itoa(r.Status) + `}`
		}
		out = append(out, "ERROR RequestId:"+id+" Result:"+oneLine(res))
	} else {
		out = append(out, "Response RequestId:"+id+" RetMsg:"+oneLine(r.RetMsg))
	}
	out = append(out, "END RequestId:"+id)
	rep := "Report RequestId:" + id + " Duration:" + formatMs(r.Duration)
	if r.MemoryMB > 0 {
		rep += " Memory:" + strconv.Itoa(r.MemoryMB) + "MB"
	}
	rep += " MemUsage:" + formatMB(r.MemUsage)
	return append(out, rep)
}

// Lines returns Messages as readable log lines, each prefixed with its time
// and with where it ran, in the form function:version@alias (the platform's
// SCF_FunctionName, SCF_Qualifier and SCF_Alias fields; "@alias" is left out
// for direct invocations, and a namespace other than default is prefixed
// as namespace/):
//
//	2026-05-01T10:00:00.000Z B:2@release START RequestId:4a1c...
//
// Messages up to the function's output carry the start time; the rest carry
// the end time (start + duration).
func Lines(r Record) []string {
	msgs := Messages(r)
	// Function is the registry's key, which already carries a namespace
	// other than default ("ns/name"): it is written once.
	name := strings.TrimPrefix(r.Function, r.Namespace+"/")
	where := name + ":" + r.Version
	if r.Alias != "" {
		where += "@" + r.Alias
	}
	if r.Namespace != "" && r.Namespace != "default" {
		where = r.Namespace + "/" + where
	}
	start := r.StartTime.Format(lineTimeFormat) + " " + where + " "
	end := r.StartTime.Add(r.Duration).Format(lineTimeFormat) + " " + where + " "
	tail := 0 // messages after the output: ERROR or Response, END, Report
	if !r.Running {
		tail = 3
	}
	for i, m := range msgs {
		if i >= len(msgs)-tail {
			msgs[i] = end + m
		} else {
			msgs[i] = start + m
		}
	}
	return msgs
}

// outputLines splits the function's output into lines, without the empty
// piece after a final newline.
func outputLines(log string) []string {
	if log == "" {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

var lineEscaper = strings.NewReplacer("\r", `\r`, "\n", `\n`)

func oneLine(s string) string { return lineEscaper.Replace(s) }

// formatMs renders d in milliseconds with at most two decimals: "1ms", "0.83ms".
func formatMs(d time.Duration) string {
	ms := math.Round(float64(d)/float64(time.Millisecond)*100) / 100
	return strconv.FormatFloat(ms, 'f', -1, 64) + "ms"
}

// formatMB renders bytes in MiB with at most two decimals: "29.73MB".
func formatMB(b int64) string {
	mb := math.Round(float64(b)/(1<<20)*100) / 100
	return strconv.FormatFloat(mb, 'f', -1, 64) + "MB"
}
