package main

import (
	"errors"
	"fmt"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/reconcile"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/trigger"
)

// configTrigger maps a trigger of emulator.yaml onto the registry's.
func configTrigger(t config.Trigger) registry.Trigger {
	return registry.Trigger{Name: t.Name, Type: t.Type, Qualifier: t.Qualifier, Enabled: t.Enabled, Cron: t.Cron, Message: t.Message,
		Bucket: t.Bucket, Events: t.Events, Prefix: t.Prefix, Suffix: t.Suffix, Topic: t.Topic, Batch: t.Batch,
		MaxWaitMs: t.MaxWaitMs, Retry: t.Retry, Path: t.Path, Method: t.Method, Config: true}
}

// sameTrigger reports whether the stored trigger is what the config
// declares, apart from the times the registry stamps.
func sameTrigger(have, want registry.Trigger) bool {
	have.Function, have.AddTime, have.ModTime, have.Desc, have.Description = "", want.AddTime, want.ModTime, "", ""
	return have == want
}

// applyTriggers makes the triggers of function f what the config
// declares: missing ones are created, differing ones updated (the config
// wins over UpdateTrigger and UpdateTriggerStatus through the cloud API, as
// the file is what the user edits), and config triggers no longer declared
// are deleted. Triggers created through the cloud API are left alone unless
// the config declares one of the same name, which it then takes over. The
// async policy follows the same rule; prev is the function's previous
// config, nil at start-up.
func (a *App) applyTriggers(f config.Function, prev *config.Function) error {
	name := registry.Key(f.Namespace, f.Name)
	have, err := a.reg.Triggers(name)
	if err != nil {
		return err
	}
	declared := map[string]bool{}
	for _, t := range f.Triggers {
		declared[t.Name] = true
	}
	for _, t := range have {
		if t.Config && !declared[t.Name] {
			if err := a.reg.DeleteTrigger(name, t.Name); err != nil && !errors.Is(err, registry.ErrTriggerNotFound) {
				return fmt.Errorf("trigger %s: %w", t.Name, err)
			}
		}
	}
	byName := map[string]registry.Trigger{}
	for _, t := range have {
		byName[t.Name] = t
	}
	for _, ct := range f.Triggers {
		want := configTrigger(ct)
		cur, ok := byName[ct.Name]
		switch {
		case ok && cur.Type == want.Type && sameTrigger(cur, want):
			continue
		case ok && cur.Type == want.Type:
			_, err = a.reg.UpdateTrigger(name, want)
		case ok:
			if err = a.reg.DeleteTrigger(name, cur.Name); err == nil {
				_, err = a.reg.CreateTrigger(name, want)
			}
		default:
			_, err = a.reg.CreateTrigger(name, want)
		}
		if err != nil {
			return &config.Problem{File: a.configPath(), Line: ct.Line, Key: "functions." + f.Name + ".triggers " + ct.Name, Msg: err.Error()}
		}
	}
	switch {
	case f.Async != nil:
		dl := f.Async.DeadLetter
		if dl == config.DeadLetterLocal {
			dl = ""
		} else {
			dl = registry.Key(f.Namespace, dl)
		}
		if _, err := a.reg.Function(dl); dl != "" && err != nil {
			return &config.Problem{File: a.configPath(), Line: f.Async.Line, Key: "functions." + f.Name + ".async.deadLetter",
				Msg: fmt.Sprintf("function %s does not exist (declare it, or use local)", f.Async.DeadLetter)}
		}
		cur := a.trig.Policy(name)
		pol := trigger.AsyncPolicy{RetryNum: f.Async.RetryNum, MsgTTL: f.Async.MsgTTL, DeadLetter: dl, RetryDelay: cur.RetryDelay}
		if cur != pol {
			return a.trig.SetPolicy(name, pol)
		}
	case prev != nil && prev.Async != nil:
		return a.trig.SetPolicy(name, trigger.DefaultAsyncPolicy()) // async: removed from the config
	}
	return nil
}

// applyConfigTriggers applies the triggers of every function of f, at
// start-up.
func (a *App) applyConfigTriggers(f *config.File) error {
	return reconcile.ApplyTriggers(a.reg, f.Functions, func(_ int, fn config.Function) error { return a.applyTriggers(fn, nil) })
}
