// Package trigger holds what the emulator's non-gateway triggers are made
// of, free of the registry and the engine: the platform's 7-field cron and a
// scheduler that fires it on a clock; the event shapes of timer, COS,
// CKafka, CMQ, CLB and API Gateway triggers; a watcher that turns a local
// folder into a COS bucket (with loop detection, since a function writing
// into its own trigger bucket would otherwise run forever); a topic broker
// that batches CKafka and CMQ messages with partitions and offsets; and the
// platform's async invocation semantics (retries with back-off, message
// TTL, dead letters, event status). cmd/emulator wires them to the engine.
package trigger
