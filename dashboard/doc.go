// Package dashboard serves the emulator's live dashboard on the admin
// address: an embedded single page (HTML, JS and CSS, no build step) and the
// small JSON endpoints it polls. The page shows every function, its versions
// and its aliases' routing, charts each version's requests/s and error rate
// while traffic shifts, tails the logs, and edits alias weights through the
// cloud API's own UpdateAlias, so its validation is the API's.
//
// The package reads the emulator through Source, which cmd/emulator adapts
// from the registry and the metrics; it never changes anything itself.
package dashboard
