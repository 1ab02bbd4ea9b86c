package diff

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Request is a copied request, as a report's example shows it.
type Request struct {
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Header http.Header `json:"headers,omitempty"`
	Body   string      `json:"body,omitempty"`
	// Host and Stage, when set, say where a recorded request came in:
	// replay sends it with that Host, and on that stage unless told
	// otherwise.
	Host  string `json:"host,omitempty"`
	Stage string `json:"stage,omitempty"`
}

// Answer is one version's answer to a request: what the client got, or would
// have got. Body may be the first part only (Truncated).
type Answer struct {
	Status    int         `json:"status"`
	Header    http.Header `json:"headers,omitempty"`
	Body      string      `json:"body,omitempty"`
	Truncated bool        `json:"truncated,omitempty"`
}

// Difference is one place where two answers differ. Path names it:
// "status", "header.Content-Type", "body" (a non-JSON body) or a JSON path
// such as "$.user.name" or "$.items[*].price" (array indexes generalised,
// so one changed field in every element is one group).
type Difference struct {
	Path string `json:"path"`
	Kind string `json:"kind"` // KindChanged, KindAdded, KindRemoved, KindType
}

// Kinds of Difference.
const (
	KindChanged = "changed" // same type, different value
	KindAdded   = "added"   // only the candidate has it
	KindRemoved = "removed" // only the primary has it
	KindType    = "type"    // the JSON types differ
)

// DefaultBodyBytes is the largest body the gateway keeps of an answer for
// comparing; beyond it a body is compared on its first part only.
const DefaultBodyBytes = 256 << 10

// ignoredHeaders are hop-by-hop headers and ones that differ on every
// request by design; they never count as a difference.
var ignoredHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Date": true, "Content-Length": true, "X-Scf-Request-Id": true, "X-Api-Requestid": true,
	"X-Scf-Version": true, "X-Scf-Route": true, "X-Scf-Status": true,
}

// Compare lists where b differs from a, in a stable order: status, headers
// (by name), then the body.
func Compare(a, b Answer) []Difference {
	var out []Difference
	if a.Status != b.Status {
		out = append(out, Difference{Path: "status", Kind: KindChanged})
	}
	out = append(out, compareHeaders(a.Header, b.Header)...)
	return append(out, compareBodies(a, b)...)
}

func compareHeaders(a, b http.Header) []Difference {
	names := map[string]bool{}
	for k := range a {
		names[http.CanonicalHeaderKey(k)] = true
	}
	for k := range b {
		names[http.CanonicalHeaderKey(k)] = true
	}
	var out []Difference
	for _, k := range slices.Sorted(mapKeys(names)) {
		if ignoredHeaders[k] {
			continue
		}
		av, bv := a.Values(k), b.Values(k)
		switch {
		case len(av) == 0:
			out = append(out, Difference{Path: "header." + k, Kind: KindAdded})
		case len(bv) == 0:
			out = append(out, Difference{Path: "header." + k, Kind: KindRemoved})
		case !slices.Equal(av, bv):
			out = append(out, Difference{Path: "header." + k, Kind: KindChanged})
		}
	}
	return out
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// compareBodies compares JSON bodies structurally when both parse, and
// byte-wise otherwise. A truncated body cannot be parsed, so it is compared
// byte-wise on the part kept.
func compareBodies(a, b Answer) []Difference {
	if a.Body == b.Body {
		return nil
	}
	if !a.Truncated && !b.Truncated {
		if av, ok := parseJSON([]byte(a.Body)); ok {
			if bv, ok := parseJSON([]byte(b.Body)); ok {
				var out []Difference
				compareJSON("$", av, bv, &out)
				return out
			}
		}
	}
	return []Difference{{Path: "body", Kind: KindChanged}}
}

// Paths returns the distinct paths of ds, in order.
func Paths(ds []Difference) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		if !slices.Contains(out, d.Path) {
			out = append(out, d.Path)
		}
	}
	return out
}

// String is "path (kind)".
func (d Difference) String() string { return fmt.Sprintf("%s (%s)", d.Path, d.Kind) }

// jsonKey is how a JSON path spells an object key: .name when it is a
// plain identifier, ["odd key"] otherwise.
func jsonKey(k string) string {
	plain := k != ""
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

// isJSONPath says whether a difference path is inside a JSON body.
func isJSONPath(p string) bool { return strings.HasPrefix(p, "$") }
