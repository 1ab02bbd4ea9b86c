package dashboard

import (
	"errors"
	"time"
)

// ErrNotFound is wrapped by Source errors about a function that does not
// exist; the endpoints answer 404 for it.
var ErrNotFound = errors.New("function not found")

// Source is what the dashboard reads. Implementations must be safe for
// concurrent use; the dashboard only reads.
type Source interface {
	// Functions lists every function, sorted by name.
	Functions() []Function
	// Function returns one function; an unknown name wraps ErrNotFound.
	Function(name string) (Function, error)
	// Versions lists the published versions of a function, ascending.
	Versions(name string) ([]Version, error)
	// Aliases lists the aliases of a function, $DEFAULT first.
	Aliases(name string) ([]Alias, error)
	// Stats is each version's traffic over the last window.
	Stats(name string, window time.Duration) []VersionStats
	// Series is per-version request and error counts over the last window
	// in steps, ordered by time then version, every version in every step.
	Series(name string, window, step time.Duration) []Point
}

// Function is a function's $LATEST configuration.
type Function struct {
	Name        string    `json:"name"`
	Runtime     string    `json:"runtime"`
	Type        string    `json:"type"`
	Handler     string    `json:"handler,omitempty"`
	MemorySize  int       `json:"memorySize"`
	Timeout     int       `json:"timeout"`
	Description string    `json:"description,omitempty"`
	CodeHash    string    `json:"codeHash,omitempty"` // of $LATEST
	ModTime     time.Time `json:"modTime"`
}

// Version is one published version.
type Version struct {
	Version     string    `json:"version"`
	Description string    `json:"description,omitempty"`
	CodeHash    string    `json:"codeHash,omitempty"`
	CodeSize    int64     `json:"codeSize"`
	AddTime     time.Time `json:"addTime"`
}

// VersionWeight is an extra version's share of an alias's traffic.
type VersionWeight struct {
	Version string  `json:"version"`
	Weight  float64 `json:"weight"`
}

// VersionMatch is a header rule of an alias.
type VersionMatch struct {
	Version    string `json:"version"`
	Key        string `json:"key"`
	Method     string `json:"method"`
	Expression string `json:"expression"`
}

// Shadow mirrors a share of an alias's traffic to another version.
type Shadow struct {
	Version string  `json:"version"`
	Weight  float64 `json:"weight"`
}

// Alias is an alias with its routing, in the registry's JSON shape.
type Alias struct {
	Name            string          `json:"name"`
	FunctionVersion string          `json:"functionVersion"`
	Weights         []VersionWeight `json:"weights,omitempty"`
	Matches         []VersionMatch  `json:"matches,omitempty"`
	StickyHeader    string          `json:"stickyHeader,omitempty"`
	Shadow          *Shadow         `json:"shadow,omitempty"`
	Description     string          `json:"description,omitempty"`
	ModTime         time.Time       `json:"modTime"`
}

// VersionStats is one version's traffic over a window.
type VersionStats struct {
	Version     string
	Invocations int
	Errors      int
	ErrorRate   float64
	Share       float64
	P50, P99    time.Duration
	ColdStarts  int
}

// Point is one version's traffic in one step of a series.
type Point struct {
	Time     time.Time
	Version  string
	Requests int
	Errors   int
}
