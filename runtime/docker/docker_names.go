package docker

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/scf-emulator/emulator/runtime"
)

// nextName returns prefix-<tag>-<n> with the next n for prefix: the
// session's tag keeps emulators that run the same functions on one engine
// from taking each other's names.
func (d *Docker) nextName(prefix string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq[prefix]++
	return prefix + "-" + sessionTag(d.session) + "-" + strconv.Itoa(d.seq[prefix])
}

var nameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// containerPrefix is scf-<function>-<version>-<hash8>, made of the
// characters Docker accepts in names.
func containerPrefix(spec runtime.Spec) string {
	clean := func(s, empty string, max int) string {
		s = strings.Trim(nameUnsafe.ReplaceAllString(s, "-"), "-.")
		if len(s) > max {
			s = s[:max]
		}
		if s == "" {
			return empty
		}
		return s
	}
	version := spec.Version
	if version == "$LATEST" {
		version = "latest"
	}
	return "scf-" + clean(spec.Function, "fn", 60) + "-" + clean(version, "v", 16) + "-" + clean(spec.CodeHash, "0", 8)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
