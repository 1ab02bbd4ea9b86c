package platform

import "strings"

// methods are the API methods an API Gateway API may bind; ANY matches all
// of them. The platform documents GET/POST/PUT/DELETE/HEAD and, from the SCF
// console, ANY (scf-behaviour.md 5.3); the emulator adds PATCH and OPTIONS
// (DESIGN.md "Gateway contract") so any client request has a method to bind.
var methods = []string{"ANY", "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"}

// IsMethod reports whether m (upper case) is a method an API may bind.
func IsMethod(m string) bool {
	for _, x := range methods {
		if m == x {
			return true
		}
	}
	return false
}

// Methods returns the methods an API may bind, ANY first.
func Methods() []string { return append([]string(nil), methods...) }

// MethodList is the methods for messages: "ANY, GET, POST, ...".
func MethodList() string { return strings.Join(methods, ", ") }
