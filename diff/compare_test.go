package diff

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	js := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name string
		a, b Answer
		want []string
	}{
		{"equal", Answer{Status: 200, Body: `{"a":1}`}, Answer{Status: 200, Body: `{"a":1}`}, nil},
		{"key order and spacing do not matter", Answer{Status: 200, Body: `{"a":1,"b":[1,2]}`}, Answer{Status: 200, Body: `{ "b": [1, 2], "a": 1 }`}, nil},
		{"number spelling does not matter", Answer{Body: `{"n":1}`}, Answer{Body: `{"n":1.0}`}, nil},
		{"exponent spelling does not matter", Answer{Body: `{"n":1e2,"m":-0}`}, Answer{Body: `{"n":100,"m":0}`}, nil},
		{"nanosecond timestamps differ in digits a float64 drops", Answer{Body: `{"ts":1796294507556483976}`},
			Answer{Body: `{"ts":1796294507556484000}`}, []string{"$.ts (changed)"}},
		{"huge exponents are compared as written", Answer{Body: `{"n":1e999999999}`}, Answer{Body: `{"n":1e999999998}`}, []string{"$.n (changed)"}},
		{"status", Answer{Status: 200}, Answer{Status: 500}, []string{"status (changed)"}},
		{"one field changed", Answer{Status: 200, Header: js, Body: `{"user":{"name":"ann","age":3}}`},
			Answer{Status: 200, Header: js, Body: `{"user":{"name":"Ann","age":3}}`}, []string{"$.user.name (changed)"}},
		{"added and removed", Answer{Body: `{"a":1,"b":2}`}, Answer{Body: `{"b":2,"c":3}`}, []string{"$.a (removed)", "$.c (added)"}},
		{"type", Answer{Body: `{"id":1}`}, Answer{Body: `{"id":"1"}`}, []string{"$.id (type)"}},
		{"arrays generalise indexes", Answer{Body: `{"items":[{"p":1},{"p":2}]}`}, Answer{Body: `{"items":[{"p":5},{"p":6},{"p":7}]}`},
			[]string{"$.items[*].p (changed)", "$.items[*] (added)"}},
		{"odd key", Answer{Body: `{"a b":1}`}, Answer{Body: `{"a b":2}`}, []string{`$["a b"] (changed)`}},
		{"plain text byte-wise", Answer{Body: "ok"}, Answer{Body: "OK"}, []string{"body (changed)"}},
		{"truncated JSON byte-wise", Answer{Body: `{"a":1`, Truncated: true}, Answer{Body: `{"a":2`, Truncated: true}, []string{"body (changed)"}},
		{"per-request headers ignored", Answer{Header: http.Header{"Date": {"x"}, "X-Scf-Request-Id": {"1"}, "Content-Length": {"3"}}},
			Answer{Header: http.Header{"Date": {"y"}, "X-Scf-Request-Id": {"2"}, "Content-Length": {"4"}}}, nil},
		{"headers compared", Answer{Header: http.Header{"Cache-Control": {"no-store"}, "X-Old": {"1"}}},
			Answer{Header: http.Header{"Cache-Control": {"max-age=60"}, "X-New": {"1"}}},
			[]string{"header.Cache-Control (changed)", "header.X-New (added)", "header.X-Old (removed)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range Compare(tt.a, tt.b) {
				got = append(got, d.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Compare = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParentPath(t *testing.T) {
	tests := map[string]string{
		"$.a.b": "$.a", "$.a": "$", "$": "", "$.items[*].p": "$.items[*]", "$.items[*]": "$.items",
		`$.m["x.y"]`: "$.m", "status": "", "header.Date": "",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := parentPath(in); got != want {
				t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestRedactor(t *testing.T) {
	r := NewRedactor("x-user-token")
	h := r.Header(http.Header{"Authorization": {"Bearer s"}, "X-User-Token": {"t"}, "Accept": {"*/*"}})
	for k, want := range map[string]string{"Authorization": Masked, "X-User-Token": Masked, "Accept": "*/*"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	ex := r.example(Sample{Request: Request{Body: strings.Repeat("x", exampleBody+10)},
		PrimaryAnswer: Answer{Body: strings.Repeat("y", exampleBody+1)}})
	if len(ex.Request.Body) != exampleBody || len(ex.Primary.Body) != exampleBody || !ex.Primary.Truncated {
		t.Errorf("example not capped: request %d, primary %d truncated %v", len(ex.Request.Body), len(ex.Primary.Body), ex.Primary.Truncated)
	}
}

// BenchmarkCompare is the cost of comparing one pair of typical JSON
// answers, which the shadow copy's goroutine pays, off the request path.
func BenchmarkCompare(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}, "Date": {"now"}}
	body := `{"user":{"id":12345,"name":"ann","roles":["a","b"],"created":"2026-01-01T00:00:00Z"},` +
		`"items":[{"sku":"x1","price":9.5,"qty":2},{"sku":"x2","price":3,"qty":1}],"total":22,"ts":1700000000}`
	a := Answer{Status: 200, Header: h, Body: body}
	c := Answer{Status: 200, Header: h, Body: strings.Replace(body, `"total":22`, `"total":23`, 1)}
	b.ReportAllocs()
	for b.Loop() {
		if len(Compare(a, c)) != 1 {
			b.Fatal("want one difference")
		}
	}
}
