// Package admin guards the emulator's admin address: the cloud API at
// POST /, the /emulator/* endpoints, /metrics and the dashboard. Whoever
// can call that address can deploy and run code on the developer's machine,
// so Guard wraps the whole admin handler and refuses, before any endpoint
// runs:
//   - a Host that does not name this machine (DNS rebinding: a web page
//     whose name now resolves to 127.0.0.1 still sends its own name);
//   - a state-changing request that is not application/json or comes from
//     another site (a form or no-CORS fetch of a hostile page);
//   - with credentials, any request that is neither TC3-signed nor carries
//     the dashboard's login cookie (except /healthz, and /metrics when
//     public); the cloud API checks its own signatures;
//   - a body past the shared memory budget of buffered request bodies.
//
// Every refusal goes through one function, WriteError, which answers the
// cloud API in the platform's envelope and every other endpoint with a
// JSON {"error", "code"} body.
package admin
