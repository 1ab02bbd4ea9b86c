// Package reconcile applies edits of emulator.yaml (or a serverless.yml
// project) to a running emulator: it diffs the edited file against the one
// that runs, checks what the config checks cannot see, then defines layers
// and functions, swaps the gateway's routes, applies triggers and parks the
// removed functions, all of it or, when any part is refused, none of it.
// A parked function coming back leaves out the kept triggers whose route
// another took meanwhile (restore.go); a clb trigger the file declares on a
// route another holds refuses the edit up front (clb.go).
// It reaches the registry, gateway, watcher and triggers through the small
// interfaces it declares; cmd/emulator wires the real ones.
package reconcile
