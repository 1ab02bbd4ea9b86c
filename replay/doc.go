// Package replay compares two versions of a function on recorded gateway
// requests (POST /emulator/diff/replay, `emulator replay`). Each request
// goes through a gateway of the replay's own, serving the live gateway's
// routes, once to the compare (primary) version, once to the new
// (candidate) version, and for a noise sample once more to the primary;
// routing is replaced, so every copy runs on the version its role pins:
// the one the Request names, else the stage's alias's primary or shadow
// version. The answers become diff.Samples, kept in the Store like shadow
// copies' (evidence for the rollout gate), and one diff.Report per
// function. The package reads the emulator through small interfaces of
// its own: Backend (the engine), Aliases (the registry), Routes (the live
// gateway) and Store.
package replay
