package gateway

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// jsonEvent is the reference: encoding/json with HTML escaping off, as the
// gateway encoded events before appendEvent.
func jsonEvent(t *testing.T, ev *event) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestAppendEventMatchesEncodingJSON compares the hand-written encoder with
// encoding/json on events full of the characters JSON escapes, invalid
// UTF-8 and the line separators, from a fixed seed.
func TestAppendEventMatchesEncodingJSON(t *testing.T) {
	alphabet := []string{"a", "Z", "0", " ", "\"", "\\", "/", "<", ">", "&", "\b", "\f", "\n", "\r", "\t",
		"\x00", "\x1f", "\x7f", "é", "中", "😀", "\u2028", "\u2029", "\xff", "\xe4\xb8", "+", "%", "="}
	rng := rand.New(rand.NewPCG(14, 2026))
	str := func() string {
		var b []byte
		for range rng.IntN(12) {
			b = append(b, alphabet[rng.IntN(len(alphabet))]...)
		}
		return string(b)
	}
	strMap := func() map[string]string {
		if rng.IntN(5) == 0 {
			return nil
		}
		m := map[string]string{}
		for range rng.IntN(6) {
			m[str()] = str()
		}
		return m
	}
	for i := range 500 {
		q := map[string]any{}
		for range rng.IntN(5) {
			switch rng.IntN(3) {
			case 0:
				q[str()] = str()
			case 1:
				q[str()] = true
			default:
				q[str()] = []string{str(), str()}
			}
		}
		ev := &event{
			RequestContext: requestContext{ServiceID: str(), Path: str(), HTTPMethod: str(), RequestID: str(), SourceIP: str(), Stage: str()},
			Headers:        strMap(), Body: str(), PathParameters: strMap(), QueryStringParameters: strMap(),
			HeaderParameters: strMap(), StageVariables: strMap(), Path: str(), QueryString: q,
			HTTPMethod: str(), IsBase64Encoded: rng.IntN(2) == 0,
		}
		got, want := appendEvent(nil, ev), jsonEvent(t, ev)
		if !bytes.Equal(got, want) {
			t.Fatalf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
