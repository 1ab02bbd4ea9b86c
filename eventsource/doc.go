// Package eventsource runs the registry's triggers other than API Gateway
// against the engine: timers on package trigger's scheduler, COS triggers on
// bucket folders, CKafka and CMQ triggers on its topic broker, CLB triggers
// in front of the gateway at /clb/<path>; and async events with the
// platform's retries, per-function policies and dead letters, kept in the
// state dir.
//
// Package trigger holds the mechanics (cron, scheduler, buckets, broker,
// async queue, event shapes) and knows neither registry nor engine; this
// package binds them to triggers and invocations through small interfaces
// (Registry, Engine, TriggerLister, Invoker) so that it can be tested with
// fakes.
package eventsource
