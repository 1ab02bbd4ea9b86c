package engine

import (
	"time"

	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// LogSink keeps invocation records: *logstore.Store.
type LogSink interface {
	Append(logstore.Record) error
	// Update replaces the record with the same RequestID (an async call's
	// Running record), or appends.
	Update(logstore.Record) error
}

// MetricSink keeps invocation samples: *metrics.Metrics.
type MetricSink interface {
	Observe(metrics.Sample)
	ShadowDropped(function, version string)
}

// SourceShadow is the log record Source of a shadow copy; the others are
// logstore's SourceGateway, SourceAPI and SourceAsync.
const SourceShadow = "shadow"

// Call says how an invocation came in, for its record.
type Call struct {
	Source    string // logstore.SourceGateway, SourceAPI, SourceAsync or SourceShadow
	RequestID string
	Stage     string // the API Gateway stage; "" for the cloud API
	Trigger   string // the trigger that fired the call, "" for none
	RetryNum  int    // an async event's retry number, 0 for the first attempt
	Running   bool   // a Running record was filed at the start; the end replaces it
	Start     time.Time
}

// record stores what an invocation leaves behind, whichever way it came
// in: a log record and a metrics sample. Sinks that are nil record nothing.
func (e *Engine) record(t Target, c Call, res runtime.Result, err error) {
	status := scferr.Status(err)
	took := res.Duration
	if took == 0 {
		took = time.Since(c.Start)
	}
	alias := t.alias()
	if e.logs != nil {
		retMsg := string(res.Payload)
		if err != nil {
			retMsg = string(scferr.Body(err, c.RequestID))
		}
		store := e.logs.Append
		if c.Running {
			store = e.logs.Update // replaces the Running record written when it started
		}
		_ = store(logstore.Record{
			RequestID: c.RequestID, Function: t.Function, Namespace: registry.NamespaceOf(t.Function),
			Qualifier: t.Qualifier, Version: t.Version, Alias: alias, Source: c.Source,
			StartTime: c.Start, Duration: took, MemUsage: res.MemUsage, MemoryMB: t.Config.MemorySize,
			Status: status, RetMsg: retMsg, Log: res.Log,
			ColdStart: res.ColdStart, InitDuration: res.InitDuration, Trigger: c.Trigger, RetryNum: c.RetryNum, Stage: c.Stage,
		})
	}
	if e.met != nil {
		stage := c.Stage
		if stage == "" && c.Trigger != "" {
			stage = c.Source + ":" + c.Trigger // stats group trigger-fired calls as they group stages
		}
		e.met.Observe(metrics.Sample{
			Function: t.Function, Version: t.Version, Alias: alias, Stage: stage,
			Status: status, Duration: took, ColdStart: res.ColdStart, Shadow: c.Source == SourceShadow,
		})
	}
}

// recordRunning files an async call's Running record, which its end replaces.
func (e *Engine) recordRunning(t Target, c Call) {
	if e.logs == nil {
		return
	}
	_ = e.logs.Append(logstore.Record{RequestID: c.RequestID, Function: t.Function, Namespace: registry.NamespaceOf(t.Function),
		Qualifier: t.Qualifier, Version: t.Version, Alias: t.alias(), Source: c.Source, StartTime: c.Start, MemoryMB: t.Config.MemorySize,
		Trigger: c.Trigger, RetryNum: c.RetryNum, Running: true})
}
