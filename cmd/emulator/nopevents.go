package main

import (
	"time"

	"github.com/scf-emulator/emulator/gateway"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/rollout"
	"github.com/scf-emulator/emulator/runtime"
)

type nopEvents struct{}

func (nopEvents) Request(gateway.Record)                                {}
func (nopEvents) Invoke(invokeRecord)                                   {}
func (nopEvents) Reload(string, registry.Refresh, time.Duration, error) {}
func (nopEvents) ConfigReload(ConfigReport)                             {}
func (nopEvents) ConfigNotes([]string)                                  {}
func (nopEvents) LayerReload(LayerReport)                               {}
func (nopEvents) Defined(string, string, time.Duration, error)          {}
func (nopEvents) Rollout(rollout.Status)                                {}
func (nopEvents) Pull(runtime.PullProgress)                             {}
func (nopEvents) Image(string, runtime.ImageResolution, bool)           {}
