package api

import (
	"context"
	"time"

	"github.com/scf-emulator/emulator/registry"
)

// Backend is what the cloud API needs from the emulator. *registry.Registry
// implements Functions and Triggers as they are; Runner and LogReader come
// from the engine and the log store.
//
// Errors: lookups return registry.ErrFunctionNotFound, ErrVersionNotFound,
// ErrAliasNotFound or ErrInvalidQualifier; mutations may also return the
// other registry sentinels (ErrFunctionExists, ErrAliasExists,
// ErrDefaultAlias, ErrInvalidAliasName, ErrInvalidRouting, ErrAliasBind,
// ErrVersionLimit, ErrBuildFailed, ErrInvalidConfig, ErrSourceNotManaged,
// the trigger errors) and whatever a registry.FillFunc returned (codezip
// errors), wrapped with %w and a message that names the problem; the message
// reaches the caller as is.
type Backend interface {
	Functions
	Triggers
	Runner
	LogReader
}

// Functions is the registry's function, version and alias store.
type Functions interface {
	Functions() []registry.Function
	Function(name string) (registry.Function, error)
	// Create creates a function; with a non-nil fill, spec.Source is empty
	// and fill writes the code into a folder the backend owns.
	Create(ctx context.Context, spec registry.FunctionSpec, fill registry.FillFunc) error
	// UpdateCode replaces $LATEST's code by what fill writes, and its handler
	// when handler is not empty.
	UpdateCode(ctx context.Context, name string, fill registry.FillFunc, handler string) (registry.Refresh, error)
	// UpdateConfig replaces $LATEST's configuration.
	UpdateConfig(ctx context.Context, name string, cfg registry.FunctionConfig) (registry.Function, error)
	// Delete deletes a function with its versions, aliases and triggers.
	Delete(ctx context.Context, name string) error
	Publish(ctx context.Context, name, description string) (registry.Version, error)
	// Versions may or may not include $LATEST (the server lists it once
	// either way).
	Versions(name string) ([]registry.Version, error)
	Version(name, version string) (registry.Version, error)
	DeleteVersion(name, version string) error
	CreateAlias(name string, a registry.Alias) error
	UpdateAlias(name string, a registry.Alias) error
	Alias(name, alias string) (registry.Alias, error)
	// Aliases must include $DEFAULT; with a non-empty version it returns only
	// the aliases that route to that version, as primary or extra version.
	Aliases(name, version string) ([]registry.Alias, error)
	DeleteAlias(name, alias string) error
}

// Triggers is the registry's trigger store.
type Triggers interface {
	CreateTrigger(name string, t registry.Trigger) (registry.Trigger, error)
	UpdateTrigger(name string, t registry.Trigger) (registry.Trigger, error)
	Triggers(name string) ([]registry.Trigger, error)
	DeleteTrigger(name, trigger string) error
}

// Runner runs functions.
type Runner interface {
	// Invoke runs a function. It returns a Go error only for problems before
	// the function ran: registry.ErrFunctionNotFound, registry.ErrAliasNotFound
	// or registry.ErrVersionNotFound (the qualifier does not exist),
	// registry.ErrFunctionType (a web function), or an *scferr.Error for a
	// platform failure such as a 445 container init error. A failure of the
	// function itself is reported in InvokeResult.FuncErr.
	//
	// With req.Async it resolves the qualifier and reports those errors the
	// same way, then starts the run in the background, detached from ctx and
	// stopped by the backend's own Close, and returns at once with RequestID
	// and Version set. The run must be recorded so that FunctionLogs finds it
	// by RequestID: first as running, then with its outcome.
	Invoke(ctx context.Context, req InvokeRequest) (InvokeResult, error)
}

// LogReader reads the record of past and running invocations.
type LogReader interface {
	// FunctionLogs returns at least every invocation that matches q; it may
	// return more, because the server applies q again before filtering by
	// outcome, sorting and paging. The order does not matter.
	FunctionLogs(ctx context.Context, q LogQuery) ([]LogEntry, error)
}

// InvokeRequest is one invocation as the cloud API received it.
type InvokeRequest struct {
	Function   string
	Namespace  string            // the namespace; Function is already its registry key
	Qualifier  string            // version or alias; registry.Default when the caller gave none
	Event      []byte            // valid JSON, "{}" when the caller sent none
	RoutingKey map[string]string // nil when absent; JSON numbers arrive as their decimal text
	Async      bool              // InvocationType Event: start the run and return
	LogTail    bool              // the caller wants the log (LogType Tail)
}

// InvokeResult is the outcome of an invocation that reached the function.
// An asynchronous invocation sets only RequestID and Version.
type InvokeResult struct {
	RequestID string
	Version   string        // the version that ran, e.g. "2" or "$LATEST"
	Payload   []byte        // the function's JSON return value
	FuncErr   error         // an *scferr.Error from the function, nil on success
	Log       string        // the invocation's log lines
	Duration  time.Duration // run time of the handler
	MemUsage  int64         // bytes
}

// LogQuery selects invocation records. Zero fields select everything.
type LogQuery struct {
	Function  string
	Qualifier string // matches a record's Qualifier, Version or Alias
	RequestID string
	// Start and End bound StartTime: Start <= StartTime <= End; a zero time
	// leaves that side open.
	Start, End time.Time
}

// LogEntry is the record of one invocation.
type LogEntry struct {
	RequestID    string
	Function     string
	Qualifier    string // as the caller gave it: "release", "$DEFAULT", "2"
	Version      string // the version that ran
	Alias        string // the alias routed through, "" for a direct version
	StartTime    time.Time
	Duration     time.Duration
	BillDuration time.Duration
	MemUsage     int64  // bytes
	Status       int    // SCF status: 200 (or 0) success, 430 user error, 433 timeout, ...
	RetMsg       string // the return value, or the error body on failure
	Log          string
	Running      bool // still running; Status and the figures are not final
	RetryNum     int  // SCF_RetryNum: which retry of an async event this attempt is
}

// matches reports whether e is selected by q.
func (q LogQuery) matches(e LogEntry) bool {
	switch {
	case q.Function != "" && e.Function != q.Function,
		q.RequestID != "" && e.RequestID != q.RequestID,
		q.Qualifier != "" && e.Qualifier != q.Qualifier && e.Version != q.Qualifier && e.Alias != q.Qualifier,
		!q.Start.IsZero() && e.StartTime.Before(q.Start),
		!q.End.IsZero() && e.StartTime.After(q.End):
		return false
	}
	return true
}
