// Package runtime runs function code: a Runtime starts Instances (processes or
// containers) of one function version, and the Manager keeps a pool of warm
// instances per (function, version, code hash). The Manager scales a pool out
// to Options.MaxInstances, reuses idle instances LIFO, stops those idle longer
// than Options.IdleTimeout, discards instances that crashed or timed out, and
// maps failures to the platform's scferr classes.
package runtime
