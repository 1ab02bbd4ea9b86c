package metrics

import "strconv"

// Status classes, the values of the "class" label. They follow the platform's
// per-version metrics Http2xx, Http4xx, Http432, Http433, Http434 and Syserr
// (reference 7.1), plus 430 for user code exceptions.
const (
	Class2xx = "2xx"
	Class4xx = "4xx" // caller and configuration errors not listed below
	Class430 = "430" // user code exception
	Class432 = "432" // concurrency limit reached
	Class433 = "433" // timeout
	Class434 = "434" // memory limit
	Class5xx = "5xx" // platform errors, including 439, 444..450
)

// classes lists every class in label order; classIndex maps a status to its index.
var classes = [...]string{Class2xx, Class4xx, Class430, Class432, Class433, Class434, Class5xx}

const numClasses = len(classes)

// Class maps an SCF status to its class. 200..299 (and 0, an unset status) is
// 2xx; 430, 432, 433 and 434 keep their own class; 439 (user process exited),
// 444 and 447 (image pull), 445 (container init), 446 (port binding), 449
// (insufficient resources) and 450 (init timeout) are failures of the
// execution environment rather than of the request, so they count as 5xx
// with 500 and above; every other 400..499 is 4xx.
func Class(status int) string { return classes[classIndex(status)] }

func classIndex(status int) int {
	switch {
	case status == 0 || status >= 200 && status < 300:
		return 0
	case status == 430:
		return 2
	case status == 432:
		return 3
	case status == 433:
		return 4
	case status == 434:
		return 5
	case status == 439 || status == 444 || status == 445 || status == 446 || status == 447 || status == 449 || status == 450:
		return 6
	case status >= 400 && status < 500:
		return 1
	}
	return 6
}

// httpCodes are the values of the "code" label of scf_http_responses_total.
var httpCodes = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// httpIndex maps an HTTP status to its code class, -1 when out of range.
func httpIndex(status int) int {
	if status < 100 || status > 599 {
		return -1
	}
	return status/100 - 1
}

// versionLess orders versions numerically, names that are not numbers after
// them, and $LATEST last.
func versionLess(a, b string) bool {
	if a == b {
		return false
	}
	if a == "$LATEST" || b == "$LATEST" {
		return b == "$LATEST"
	}
	na, ea := strconv.Atoi(a)
	nb, eb := strconv.Atoi(b)
	switch {
	case ea == nil && eb == nil:
		return na < nb
	case ea == nil || eb == nil:
		return ea == nil
	}
	return a < b
}
