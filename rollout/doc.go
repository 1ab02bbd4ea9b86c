// Package rollout automates progressive delivery of a function version
// behind an alias: it shifts traffic to the new version in steps (a custom
// list or one of the CodeDeploy schedules), checks gates on the new
// version's live metrics after every interval, promotes it at the end or
// rolls the alias back to its original routing when a gate fails, and runs
// optional pre- and post-traffic hook functions.
//
// Every transition is written to <dir>/rollouts.json before the alias is
// touched, so a restarted Manager resumes each running rollout where it
// stood, or reports it aborted with the original routing restored; a
// rollout is never left half-applied in silence. A rollout whose function
// is parked (it left emulator.yaml) is held until the function comes back,
// and ends when it is deleted (hold.go). The package is pure logic
// over small interfaces (aliases, metrics, a hook invoker and a clock) that
// the emulator's registry, metrics and engine satisfy and tests fake.
package rollout
