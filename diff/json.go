package diff

import (
	"bytes"
	"encoding/json"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// parseJSON decodes a JSON document, keeping numbers as written
// (json.Number), so large ids keep their digits.
func parseJSON(b []byte) (any, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || (b[0] != '{' && b[0] != '[' && b[0] != '"') {
		// Bare numbers and words are JSON too, but a plain-text body such as
		// "ok" or "42" reads better compared as bytes.
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	return v, true
}

// compareJSON appends the differences between a and b under path. Array
// elements are compared by position, and their paths say [*], so that the
// same change in every element is one group.
func compareJSON(path string, a, b any, out *[]Difference) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, Difference{Path: path, Kind: KindType})
			return
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, ok := av[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			x, inA := av[k]
			y, inB := bv[k]
			p := path + jsonKey(k)
			switch {
			case !inB:
				*out = append(*out, Difference{Path: p, Kind: KindRemoved})
			case !inA:
				*out = append(*out, Difference{Path: p, Kind: KindAdded})
			default:
				compareJSON(p, x, y, out)
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok {
			*out = append(*out, Difference{Path: path, Kind: KindType})
			return
		}
		p := path + "[*]"
		for i := range max(len(av), len(bv)) {
			switch {
			case i >= len(bv):
				addOnce(out, Difference{Path: p, Kind: KindRemoved})
			case i >= len(av):
				addOnce(out, Difference{Path: p, Kind: KindAdded})
			default:
				var sub []Difference
				compareJSON(p, av[i], bv[i], &sub)
				for _, d := range sub {
					addOnce(out, d)
				}
			}
		}
	default:
		if jsonKind(a) != jsonKind(b) {
			*out = append(*out, Difference{Path: path, Kind: KindType})
		} else if a != b && !sameNumber(a, b) {
			*out = append(*out, Difference{Path: path, Kind: KindChanged})
		}
	}
}

// addOnce appends d unless the same path and kind is there already (array
// elements share paths).
func addOnce(out *[]Difference, d Difference) {
	if !slices.Contains(*out, d) {
		*out = append(*out, d)
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	default:
		return "object"
	}
}

// sameNumber says whether a and b are numbers of equal value written
// differently (1 and 1.0, 1e2 and 100), as runtimes print them. The
// comparison is exact: nanosecond timestamps and 64-bit ids differ in digits
// that a float64 drops.
func sameNumber(a, b any) bool {
	x, ok1 := a.(json.Number)
	y, ok2 := b.(json.Number)
	if !ok1 || !ok2 {
		return false
	}
	rx, ok1 := exactNumber(string(x))
	ry, ok2 := exactNumber(string(y))
	return ok1 && ok2 && rx.Cmp(ry) == 0
}

// maxExponent bounds the exponents compared exactly: 1e999999999 would take
// a gigabyte as a rational. Numbers beyond it count as different unless
// written the same.
const maxExponent = 400

// exactNumber reads a JSON number as an exact rational.
func exactNumber(s string) (*big.Rat, bool) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > maxExponent || e < -maxExponent {
			return nil, false
		}
	}
	return new(big.Rat).SetString(s)
}
