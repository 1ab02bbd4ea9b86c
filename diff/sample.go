package diff

import (
	"net/http"
	"strings"
	"time"
)

// Sample is one copied request with both versions' answers.
type Sample struct {
	Time            time.Time
	Function, Alias string
	Primary         string // the version that answered the client
	Candidate       string // the version that got the copy
	Endpoint        string // "GET /users/{id}": method and the API's path template
	Request         Request
	PrimaryAnswer   Answer
	CandidateAnswer Answer
	// Rerun, when set, is a second answer of the primary to the same
	// request: a noise sample.
	Rerun *Answer
}

// record is what the Store keeps of a Sample: small, so that many fit.
type record struct {
	Time      time.Time    `json:"time"`
	Function  string       `json:"function"`
	Alias     string       `json:"alias,omitempty"`
	Primary   string       `json:"primary"`
	Candidate string       `json:"candidate"`
	Endpoint  string       `json:"endpoint"`
	Diffs     []Difference `json:"diffs,omitempty"`
	// Noise is where two runs of the primary differed, for a noise sample.
	Noise []string `json:"noise,omitempty"`
	Rerun bool     `json:"rerun,omitempty"`
}

// Example is one request and both answers, kept for a group, capped and
// with sensitive header values masked.
type Example struct {
	Time      time.Time `json:"time"`
	Request   Request   `json:"request"`
	Primary   Answer    `json:"primary"`
	Candidate Answer    `json:"candidate"`
}

// exampleBody is the most of each body an Example keeps.
const exampleBody = 4 << 10

// Masked replaces a redacted header's values.
const Masked = "[redacted]"

// defaultRedact are headers masked in examples whatever the options say.
var defaultRedact = []string{"Authorization", "Cookie", "Set-Cookie", "Proxy-Authorization", "X-Api-Key"}

// Redactor masks header values in stored examples.
type Redactor struct{ names map[string]bool }

// NewRedactor masks the default credential headers and names.
func NewRedactor(names ...string) Redactor {
	r := Redactor{names: map[string]bool{}}
	for _, n := range append(append([]string{}, defaultRedact...), names...) {
		if n = strings.TrimSpace(n); n != "" {
			r.names[http.CanonicalHeaderKey(n)] = true
		}
	}
	return r
}

// Header returns a copy of h with the redacted names' values masked.
func (r Redactor) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		if r.names[http.CanonicalHeaderKey(k)] {
			out[k] = []string{Masked}
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// example builds the capped, redacted Example of s.
func (r Redactor) example(s Sample) Example {
	req := s.Request
	req.Header = r.Header(req.Header)
	if len(req.Body) > exampleBody {
		req.Body = req.Body[:exampleBody]
	}
	return Example{Time: s.Time, Request: req, Primary: r.answer(s.PrimaryAnswer), Candidate: r.answer(s.CandidateAnswer)}
}

func (r Redactor) answer(a Answer) Answer {
	out := Answer{Status: a.Status, Header: r.Header(a.Header), Truncated: a.Truncated}
	out.Body = a.Body
	if len(out.Body) > exampleBody {
		out.Body, out.Truncated = out.Body[:exampleBody], true
	}
	return out
}
