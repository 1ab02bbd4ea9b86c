// Package capacity keeps the provisioned and reserved concurrency settings
// of functions: it persists them in the state folder (capacity.json, written
// atomically), applies them to the runtime manager at start and on every
// change, and follows the registry so that a version published later gets
// its provisioned instances and a deleted one loses its setting.
package capacity
