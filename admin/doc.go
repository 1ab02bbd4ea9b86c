// Package admin serves and guards the emulator's admin address: the cloud
// API at POST /, the /emulator/* endpoints, /metrics, /healthz and the
// dashboard.
//
// Server holds the endpoints. It reads the emulator through small
// interfaces defined here (Logs, Metrics, Instances, Registry, Rollouts,
// Gateway, InfoSource), mounts the dashboard and the cloud API beside them,
// and answers every failure through WriteError. A new endpoint is one
// Handle line and a HandlerFunc that returns its error.
//
// Whoever can call the address can deploy and run code on the developer's
// machine, so Guard wraps the whole admin handler and refuses, before any
// endpoint runs:
//   - a Host that does not name this machine (DNS rebinding: a web page
//     whose name now resolves to 127.0.0.1 still sends its own name);
//   - a state-changing request that is not application/json or comes from
//     another site (a form or no-CORS fetch of a hostile page);
//   - with credentials, any request that is neither TC3-signed nor carries
//     the dashboard's login cookie (except /healthz, and /metrics when
//     public); the cloud API checks its own signatures;
//   - a body past the shared memory budget of buffered request bodies.
//
// Endpoints therefore never check signatures themselves. Every refusal and
// failure goes through one function, WriteError, with the status and code
// of one function, Classify: the cloud API gets the platform's envelope,
// every other endpoint a JSON {"error", "code"} body.
package admin
