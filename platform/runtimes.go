package platform

import (
	"fmt"
	"strconv"
	"strings"
)

// retired maps runtime names the platform no longer offers for new code to
// the runtime to move to. SCF took Python 2.7 and Node.js 6.10 and 8.9 off
// (issue 16; the Serverless component's docs still list them); any Node.js
// major below MinNodeMajor is treated the same way.
var retired = map[string]string{
	"Python2.7":  "Python3.9",
	"Nodejs6.10": "Nodejs18.15",
	"Nodejs8.9":  "Nodejs18.15",
}

// RetiredRuntime returns, for a runtime name the platform has retired, a
// sentence saying so and naming the runtime to use; "" for any other name.
func RetiredRuntime(name string) string {
	use, ok := retired[name]
	if !ok {
		if rest, isNode := strings.CutPrefix(name, "Nodejs"); isNode {
			major, minor, _ := strings.Cut(rest, ".")
			m, err := strconv.Atoi(major)
			if err == nil && allDigits(minor) && m > 0 && m < MinNodeMajor {
				use, ok = "Nodejs18.15", true
			}
		}
	}
	if !ok {
		return ""
	}
	return fmt.Sprintf("runtime %s has been retired by the platform; use %s", name, use)
}

// LanguageVersion splits a runtime into the interpreter the process runtime
// runs it with and the version the platform runs: ("python3", "3.6") for
// Python3.6, ("node", "12") for Nodejs12.16 (Node.js majors are what
// differ), ("php", "7.4") for Php7.4. It returns "", "" for runtimes without an interpreter version
// (Go1, CustomRuntime).
func LanguageVersion(runtime string) (interpreter, version string) {
	if v, ok := strings.CutPrefix(runtime, "Python"); ok {
		return "python3", v
	}
	if v, ok := strings.CutPrefix(runtime, "Php"); ok {
		return "php", v
	}
	if v, ok := strings.CutPrefix(runtime, "Nodejs"); ok {
		major, _, _ := strings.Cut(v, ".")
		return "node", major
	}
	return "", ""
}

// SameVersion reports whether an interpreter's reported version (such as
// "3.11.2" or "v18.19.0") is the version LanguageVersion gave: equal, or
// the same components followed by more.
func SameVersion(want, host string) bool {
	host = strings.TrimPrefix(strings.TrimSpace(host), "v")
	return host == want || strings.HasPrefix(host, want+".")
}
