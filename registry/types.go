package registry

import (
	"errors"
	"time"

	"github.com/scf-emulator/emulator/platform"
)

// Reserved qualifiers and the only namespace the emulator serves.
const (
	Latest           = platform.Latest
	Default          = platform.Default
	DefaultNamespace = "default"
)

// MaxConcurrency is the platform's limit of requests one web-function
// instance serves at once.
const MaxConcurrency = 100

// Function types.
const (
	TypeEvent = "event"
	TypeHTTP  = "http"
)

// Sentinel errors. Callers (the cloud API, the gateway) branch on these with
// errors.Is and map them to platform codes in one place each.
var (
	ErrFunctionNotFound = errors.New("function not found")
	ErrFunctionExists   = errors.New("function already exists")
	ErrVersionNotFound  = errors.New("version not found")
	ErrInvalidQualifier = errors.New("invalid qualifier")
	ErrVersionLimit     = errors.New("too many versions")
	ErrAliasNotFound    = errors.New("alias not found")
	ErrAliasExists      = errors.New("alias already exists")
	ErrAliasBind        = errors.New("version is still used by an alias")
	ErrDefaultAlias     = errors.New("the $DEFAULT alias cannot be deleted")
	ErrInvalidAliasName = errors.New("invalid alias name")
	ErrInvalidRouting   = errors.New("invalid routing config")
	ErrInvalidConfig    = errors.New("invalid function config")
	ErrBuildFailed      = errors.New("build command failed")
	ErrFunctionType     = errors.New("not supported for this function type")
)

// FunctionConfig is the part of a function that a published version freezes
// together with its code.
type FunctionConfig struct {
	Runtime     string            `json:"runtime"`    // SCF name: Python3.9, Nodejs16.13, Go1, CustomRuntime
	Type        string            `json:"type"`       // TypeEvent or TypeHTTP
	Handler     string            `json:"handler"`    // index.main_handler; Go1: the binary name
	MemorySize  int               `json:"memorySize"` // MB
	Timeout     int               `json:"timeout"`    // seconds
	Environment map[string]string `json:"environment,omitempty"`
	Description string            `json:"description,omitempty"`
	Image       string            `json:"image,omitempty"` // docker runtime override
	// ImageConfig makes an image function (Code.ImageConfig); nil for code.
	ImageConfig *ImageConfig `json:"imageConfig,omitempty"`
	// Layers are the layers the function uses, in order. A published
	// version's references are pinned (Version > 0).
	Layers []LayerRef `json:"layers,omitempty"`
	// Concurrency is how many requests one instance of a web function
	// serves at once (InstanceConcurrencyConfig.MaxConcurrency, 1..100);
	// 0 means 1.
	Concurrency int `json:"concurrency,omitempty"`
}

// ImageConfig is an image function's image and start command.
type ImageConfig struct {
	ImageURI string `json:"imageUri"`
	Command  string `json:"command,omitempty"`
	Args     string `json:"args,omitempty"`
}

// FunctionSpec declares a function: where its $LATEST source lives and how it
// is configured. Aliases are created when absent; existing state wins.
type FunctionSpec struct {
	Name      string
	Namespace string // "" means DefaultNamespace
	Source    string // absolute path of the $LATEST source folder
	Build     string // optional shell command run in Source before each $LATEST snapshot
	Config    FunctionConfig
	Aliases   []Alias
	// LeaveOut names triggers of a parked function that Define restores
	// disabled and marked Trigger.LeftOut, because another function holds
	// their route now; the caller judges that (package reconcile). It is
	// ignored when Define does not restore.
	LeaveOut []string
}

// Function is a function as the registry knows it now.
type Function struct {
	Name      string
	Namespace string
	Source    string
	Build     string
	Config    FunctionConfig // the $LATEST configuration
	Latest    Version        // the current $LATEST snapshot
	AddTime   time.Time
	ModTime   time.Time
}

// Version is an immutable snapshot of code plus configuration. $LATEST is also
// represented as a Version whose CodeHash changes on every reload.
type Version struct {
	Function    string
	Version     string // "1", "2", ... or Latest
	Config      FunctionConfig
	CodeHash    string // hex sha256 of the tree manifest
	CodeDir     string // absolute path of the materialised, read-only tree
	CodeSize    int64  // bytes, sum of file sizes
	Description string
	AddTime     time.Time
	ModTime     time.Time
	// Layers are Config.Layers resolved to snapshots: pinned for a
	// published version, the newest (or the layer folder's) for $LATEST.
	Layers []LayerUse
}

// VersionWeight sends a fraction of an alias's traffic to an extra version.
type VersionWeight struct {
	Version string  `json:"version"`
	Weight  float64 `json:"weight"` // 0..1
}

// VersionMatch sends matching requests to an extra version.
// Key is "invoke.headers.<K>"; Method is "exact" or "range".
type VersionMatch struct {
	Version    string `json:"version"`
	Key        string `json:"key"`
	Method     string `json:"method"`
	Expression string `json:"expression"`
}

// Alias points at a primary version plus optional weights and rules.
type Alias struct {
	Name            string          `json:"name"`
	FunctionVersion string          `json:"functionVersion"`
	Weights         []VersionWeight `json:"weights,omitempty"`
	Matches         []VersionMatch  `json:"matches,omitempty"`
	// StickyHeader, when set, makes weighted picks deterministic per value of
	// this routing key (header), so one user always lands on one version.
	StickyHeader string `json:"stickyHeader,omitempty"`
	// Shadow, when set, copies a share of the alias's requests to a
	// candidate version whose answers are discarded.
	Shadow      *Shadow   `json:"shadow,omitempty"`
	Description string    `json:"description,omitempty"`
	AddTime     time.Time `json:"addTime"`
	ModTime     time.Time `json:"modTime"`
}

// Shadow copies a fraction of an alias's requests to another version. The
// copies run beside the real requests; their answers are thrown away, their
// errors and latency count in the shadow version's metrics.
type Shadow struct {
	Version string  `json:"version"`
	Weight  float64 `json:"weight"` // 0 < Weight <= 1
	// Diff compares each copy's answer with the primary's (package diff).
	Diff bool `json:"diff,omitempty"`
}

// Route says why a version was chosen.
type Route string

// Routes, as reported in the X-Scf-Route header.
const (
	RouteRule    Route = "rule"
	RouteWeight  Route = "weight"
	RoutePrimary Route = "primary"
	RouteDirect  Route = "direct" // the qualifier was a version
)

// Decision is the outcome of routing one request.
type Decision struct {
	Version string // concrete: "1", "2", ... or Latest
	Route   Route
	Alias   string // "" when the qualifier was a version
	// Shadow is the version a copy of the request should also go to, "" for
	// none. It is drawn independently of Version and is never Version.
	Shadow string
	// ShadowDiff says the shadow copy's answer is compared with Version's.
	ShadowDiff bool
	// CodeHash and CodeDir are Version's code, as in registry.Version: a
	// caller runs the decision without looking the version up again.
	CodeHash, CodeDir string
	// Layers are the read-only layer trees of Version, in order; when there
	// are any, CodeHash also covers them (Version.RunHash).
	Layers LayerTrees
}

// LayerTrees is an immutable list of layer tree paths. It holds a pointer
// so that Decision stays comparable.
type LayerTrees struct{ dirs *[]string }

// NewLayerTrees wraps dirs, which must not be modified afterwards.
func NewLayerTrees(dirs []string) LayerTrees {
	if len(dirs) == 0 {
		return LayerTrees{}
	}
	return LayerTrees{dirs: &dirs}
}

// Dirs returns the paths; the caller must not modify them.
func (t LayerTrees) Dirs() []string {
	if t.dirs == nil {
		return nil
	}
	return *t.dirs
}

// Keys looks up routing key values: HTTP request headers at the gateway
// (case-insensitive), the RoutingKey JSON object on Invoke.
type Keys interface {
	Get(key string) (string, bool)
}
