package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/scf-emulator/emulator/registry"
)

// decode reads a request body into one of the SDK's XxxRequestParams. An
// empty body counts as {}. Unknown parameters are rejected, as the platform
// does, so a misspelt optional parameter is not silently ignored.
func decode(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return newError(codeInvalidParameter, "request body has data after the JSON object")
	}
	return nil
}

func decodeError(err error) error {
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return newError(codeInvalidParameter, "request body is not valid JSON: %v (at byte %d)", e, e.Offset)
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if e.Field == "" {
			return newError(codeInvalidParameter, "request body must be a JSON object, not a JSON %s", e.Value)
		}
		return newError(codeInvalidParameter, "parameter %s must be %s, not a JSON %s", e.Field, kindName(e.Type), e.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(codeInvalidParameter, "request body is truncated JSON")
	}
	// encoding/json has no typed error for unknown fields; its message has
	// been `json: unknown field "X"` since the option was added.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return newError(codeUnknownParameter, "parameter %s is not known to this action", strings.Trim(name, `"`))
	}
	return newError(codeInvalidParameter, "request body: %v", err)
}

// kindName describes a model field's JSON type for error messages.
func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "of type " + t.String()
}

// param is a string parameter with its wire name, for required checks.
type param struct {
	name  string
	value *string
}

func need(name string, v *string) param { return param{name, v} }

// check validates what every function-scoped action shares: FunctionName
// and the other required parameters are present and the namespace exists.
// It records the function name for the log line.
func (c *call) check(function, namespace *string, required ...param) error {
	c.name, c.namespace = str(function), namespaceOf(str(namespace))
	c.function = registry.Key(c.namespace, c.name)
	if err := requireParams(append([]param{need("FunctionName", function)}, required...)...); err != nil {
		return err
	}
	return c.checkNamespace(namespace)
}

func requireParams(params ...param) error {
	var missing []string
	for _, p := range params {
		if p.value == nil || *p.value == "" {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		return newError(codeMissingParameter, "missing required parameter: %s", strings.Join(missing, ", "))
	}
	return nil
}

// checkNamespace accepts the default namespace and the created ones.
func (c *call) checkNamespace(ns *string) error {
	if ns == nil || *ns == "" || *ns == registry.DefaultNamespace || (c.hasNS != nil && c.hasNS(*ns)) {
		return nil
	}
	return newError(codeNamespaceNotFound, "namespace %q does not exist: create it with CreateNamespace first", *ns)
}

// paging holds a validated Offset and Limit.
type paging struct{ offset, limit uint64 }

const defaultLimit = 20

// pagingFromInts validates the int64 Offset/Limit of ListFunctions. A nil or
// zero Limit means the default.
func pagingFromInts(offset, limit *int64) (paging, error) {
	p := paging{limit: defaultLimit}
	if offset != nil {
		if *offset < 0 {
			return p, newError(codeBadOffset, "Offset must not be negative, got %d", *offset)
		}
		p.offset = uint64(*offset)
	}
	if limit != nil {
		if *limit < 0 {
			return p, newError(codeBadLimit, "Limit must not be negative, got %d", *limit)
		}
		if *limit > 0 {
			p.limit = uint64(*limit)
		}
	}
	return p, nil
}

// pagingFromUints takes the uint64 Offset/Limit of ListVersionByFunction.
func pagingFromUints(offset, limit *uint64) paging {
	p := paging{limit: defaultLimit}
	if offset != nil {
		p.offset = *offset
	}
	if limit != nil && *limit > 0 {
		p.limit = *limit
	}
	return p
}

// pagingFromStrings parses ListAliases' Offset/Limit, which the SDK models as
// strings ("Offset":"0").
func pagingFromStrings(offset, limit *string) (paging, error) {
	p := paging{limit: defaultLimit}
	if offset != nil && *offset != "" {
		n, err := strconv.ParseUint(*offset, 10, 64)
		if err != nil {
			return p, newError(codeBadOffset, "Offset must be a non-negative integer in a string, got %q", *offset)
		}
		p.offset = n
	}
	if limit != nil && *limit != "" {
		n, err := strconv.ParseUint(*limit, 10, 64)
		if err != nil {
			return p, newError(codeBadLimit, "Limit must be a non-negative integer in a string, got %q", *limit)
		}
		if n > 0 {
			p.limit = n
		}
	}
	return p, nil
}

// page returns the slice of items that p selects.
func page[T any](items []T, p paging) []T {
	if p.offset >= uint64(len(items)) {
		return items[:0]
	}
	rest := items[p.offset:]
	if p.limit < uint64(len(rest)) {
		rest = rest[:p.limit]
	}
	return rest
}

// sortOrder parses an Order parameter; descending is the default.
func sortOrder(order *string) (desc bool, err error) {
	switch strings.ToUpper(str(order)) {
	case "", "DESC":
		return true, nil
	case "ASC":
		return false, nil
	}
	return false, newError(codeBadOrder, "Order must be ASC or DESC, got %q", str(order))
}

// oneOf returns the element of allowed equal to v ignoring case, or "" for an
// empty v.
func oneOf(v *string, code, name string, allowed ...string) (string, error) {
	if str(v) == "" {
		return "", nil
	}
	for _, a := range allowed {
		if strings.EqualFold(a, *v) {
			return a, nil
		}
	}
	return "", newError(code, "%s must be one of %s, got %q", name, strings.Join(allowed, ", "), *v)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
