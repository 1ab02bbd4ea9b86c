package gateway

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendEvent appends ev as JSON, byte for byte what encoding/json writes
// for it with HTML escaping off (struct field order, sorted map keys,
// invalid UTF-8 as U+FFFD), without its reflection and per-value
// allocations: the event is built and encoded on every event request.
func appendEvent(b []byte, ev *event) []byte {
	rc := &ev.RequestContext
	b = append(b, `{"requestContext":{"serviceId":`...)
	b = appendJSONString(b, rc.ServiceID)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, rc.Path)
	b = append(b, `,"httpMethod":`...)
	b = appendJSONString(b, rc.HTTPMethod)
	b = append(b, `,"requestId":`...)
	b = appendJSONString(b, rc.RequestID)
	b = append(b, `,"identity":{},"sourceIp":`...)
	b = appendJSONString(b, rc.SourceIP)
	b = append(b, `,"stage":`...)
	b = appendJSONString(b, rc.Stage)
	b = append(b, `},"headers":`...)
	b = appendStringMap(b, ev.Headers)
	if ev.Body != "" {
		b = append(b, `,"body":`...)
		b = appendJSONString(b, ev.Body)
	}
	b = append(b, `,"pathParameters":`...)
	b = appendStringMap(b, ev.PathParameters)
	b = append(b, `,"queryStringParameters":`...)
	b = appendStringMap(b, ev.QueryStringParameters)
	b = append(b, `,"headerParameters":`...)
	b = appendStringMap(b, ev.HeaderParameters)
	b = append(b, `,"stageVariables":`...)
	b = appendStringMap(b, ev.StageVariables)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, ev.Path)
	b = append(b, `,"queryString":`...)
	b = appendQueryString(b, ev.QueryString)
	b = append(b, `,"httpMethod":`...)
	b = appendJSONString(b, ev.HTTPMethod)
	b = append(b, `,"isBase64Encoded":`...)
	b = strconv.AppendBool(b, ev.IsBase64Encoded)
	return append(b, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// appendQueryString writes the queryString object, whose values are what
// parseQuery puts there: a string, true, or a list of strings.
func appendQueryString(b []byte, m map[string]any) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		switch v := m[k].(type) {
		case string:
			b = appendJSONString(b, v)
		case bool:
			b = strconv.AppendBool(b, v)
		case []string:
			b = append(b, '[')
			for j, s := range v {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, s)
			}
			b = append(b, ']')
		default:
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

// appendJSONString writes s as a JSON string the way encoding/json does
// without HTML escaping.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
