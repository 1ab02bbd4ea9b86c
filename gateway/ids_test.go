package gateway

import (
	"testing"

	"github.com/google/uuid"
)

func TestIDsAreRandomUUIDs(t *testing.T) {
	s := newIDSource()
	seen := map[string]bool{}
	for range 1000 { // several refills of the buffer
		id := s.next()
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 || u.String() != id {
			t.Fatalf("id %q: parse %v, version %v, variant %v; want a canonical random UUID", id, err, u.Version(), u.Variant())
		}
		if seen[id] {
			t.Fatalf("id %q came twice", id)
		}
		seen[id] = true
	}
}
