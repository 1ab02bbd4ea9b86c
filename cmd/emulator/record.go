package main

import (
	"time"

	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/metrics"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// recorder keeps what every invocation leaves behind, whichever way it came
// in (gateway, Invoke, async): a log record and a metrics sample.
type recorder struct {
	logs  *logstore.Store
	met   *metrics.Metrics
	slots shadowSlots // bounds shadow copies in flight (shadow.go)
}

// call describes one finished invocation.
type call struct {
	source                       string // logstore.SourceGateway, SourceAPI, SourceAsync, or sourceShadow
	requestID                    string
	function, qualifier, version string
	route, stage                 string
	memoryMB                     int
	start                        time.Time
	res                          runtime.Result
	err                          error
}

// record stores c. A nil recorder records nothing (tests that do not care).
func (r *recorder) record(c call) {
	if r == nil {
		return
	}
	status := scferr.Status(c.err)
	alias := ""
	if c.route != string(registry.RouteDirect) {
		alias = c.qualifier
		if alias == "" {
			alias = registry.Default
		}
	}
	took := c.res.Duration
	if took == 0 {
		took = time.Since(c.start)
	}
	retMsg := string(c.res.Payload)
	if c.err != nil {
		retMsg = string(scferr.Body(c.err, c.requestID))
	}
	store := r.logs.Append
	if c.source == logstore.SourceAsync {
		store = r.logs.Update // replaces the Running record written when it started
	}
	_ = store(logstore.Record{
		RequestID: c.requestID, Function: c.function, Namespace: registry.DefaultNamespace,
		Qualifier: c.qualifier, Version: c.version, Alias: alias, Source: c.source,
		StartTime: c.start, Duration: took, MemUsage: c.res.MemUsage, MemoryMB: c.memoryMB,
		Status: status, RetMsg: retMsg, Log: c.res.Log,
		ColdStart: c.res.ColdStart, InitDuration: c.res.InitDuration,
	})
	r.met.Observe(metrics.Sample{
		Function: c.function, Version: c.version, Alias: alias, Stage: c.stage,
		Status: status, Duration: took, ColdStart: c.res.ColdStart, Shadow: c.isShadow(),
	})
}
