package trigger

import (
	"fmt"
	"strings"
)

// COSFilter selects the object changes a COS trigger receives, as the
// platform's trigger desc does: one event name or family
// ("cos:ObjectCreated:*", "cos:ObjectRemove:*", "cos:ObjectCreated:Put",
// ...) and a key prefix and suffix.
type COSFilter struct {
	Events string // "" means every event
	Prefix string
	Suffix string
}

// CheckCOSEvents reports whether events names an event the emulator can
// send, or a family of them.
func CheckCOSEvents(events string) error {
	switch events {
	case "", "*", COSCreatedAll, COSRemoveAll, COSCreatedPut, COSRemoveDelete,
		"cos:ObjectCreated:Post", "cos:ObjectCreated:Copy", "cos:ObjectCreated:CompleteMultipartUpload",
		"cos:ObjectRemove:DeleteMarkerCreated":
		return nil
	}
	return fmt.Errorf("COS event %q is not one of %s, %s, %s, %s", events, COSCreatedAll, COSRemoveAll, COSCreatedPut, COSRemoveDelete)
}

// Match reports whether an event named event on key passes the filter.
func (f COSFilter) Match(event, key string) bool {
	if !strings.HasPrefix(key, f.Prefix) || !strings.HasSuffix(key, f.Suffix) {
		return false
	}
	switch {
	case f.Events == "" || f.Events == "*":
		return true
	case strings.HasSuffix(f.Events, ":*"):
		return strings.HasPrefix(event, strings.TrimSuffix(f.Events, "*"))
	default:
		return event == f.Events
	}
}
