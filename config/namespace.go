package config

import "regexp"

// namespaceNameRE is the platform's namespace name rule (the registry
// checks it too).
var namespaceNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,29}$`)

// namespace validates a function's namespace.
func (d *decoder) namespace(p pair) string {
	s, ok := d.str(p)
	if !ok || s == "" {
		return ""
	}
	if !namespaceNameRE.MatchString(s) {
		d.at(p.val, p.path, "namespace %q must be 1 to 30 letters, digits, '-' or '_', starting with a letter", s)
	}
	return s
}
