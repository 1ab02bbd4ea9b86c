package registry

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Sentinels of namespaces.
var (
	// ErrNamespaceNotFound means the namespace was never created.
	ErrNamespaceNotFound = errors.New("namespace not found")
	// ErrNamespaceExists means CreateNamespace named an existing namespace.
	ErrNamespaceExists = errors.New("namespace already exists")
	// ErrNamespaceNotEmpty means the namespace still has functions.
	ErrNamespaceNotEmpty = errors.New("namespace still has functions")
	// ErrInvalidNamespace means a bad name, or an operation the default
	// namespace does not allow (deleting it).
	ErrInvalidNamespace = errors.New("invalid namespace")
)

// Namespace is a namespace created with CreateNamespace (or by a function
// that names it in emulator.yaml). DefaultNamespace always exists.
type Namespace struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	AddTime     time.Time `json:"addTime"`
	ModTime     time.Time `json:"modTime"`
}

// Key is the registry's identifier of function name in namespace ns: the
// name itself in the default namespace, so that everything keyed by function
// name before namespaces existed keeps its key, else "ns/name". Function
// names never contain '/', so the two cannot collide. Function.Name, every
// method's name argument and Change.Function are keys.
func Key(ns, name string) string {
	if ns == "" || ns == DefaultNamespace {
		return name
	}
	return ns + "/" + name
}

// SplitKey returns the namespace and the plain function name of a key.
func SplitKey(key string) (ns, name string) {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return DefaultNamespace, key
}

// NameOf returns the plain function name of a key.
func NameOf(key string) string {
	_, name := SplitKey(key)
	return name
}

// NamespaceOf returns the namespace of a key.
func NamespaceOf(key string) string {
	ns, _ := SplitKey(key)
	return ns
}

func namespaceOrDefault(ns string) string {
	if ns == "" {
		return DefaultNamespace
	}
	return ns
}

// namespaceName is the platform's rule for CreateNamespace.Namespace:
// letters, digits, '-' and '_', starting with a letter, at most 30.
var namespaceName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,29}$`)

// CheckNamespaceName returns nil for a valid namespace name.
func CheckNamespaceName(ns string) error {
	if !namespaceName.MatchString(ns) {
		return fmt.Errorf("%w: namespace name %q must be 1 to 30 letters, digits, '-' or '_', starting with a letter", ErrInvalidNamespace, ns)
	}
	return nil
}

// HasNamespace reports whether ns exists; "" is the default namespace.
func (r *Registry) HasNamespace(ns string) bool {
	ns = namespaceOrDefault(ns)
	if ns == DefaultNamespace {
		return true
	}
	_, ok := r.snapshotState().namespaces[ns]
	return ok
}

// Namespaces returns the default namespace first, then the others by name.
func (r *Registry) Namespaces() []Namespace {
	return r.snapshotState().sortedNamespacesWithDefault()
}

// CreateNamespace creates an empty namespace. Errors wrap
// ErrInvalidNamespace or ErrNamespaceExists.
func (r *Registry) CreateNamespace(name, description string) error {
	if err := CheckNamespaceName(name); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	cur := r.st.Load()
	if _, ok := cur.namespaces[name]; ok || name == DefaultNamespace {
		return fmt.Errorf("%w: %s", ErrNamespaceExists, name)
	}
	now := r.stamp()
	return r.saveNamespacesLocked(cur, Namespace{Name: name, Description: description, AddTime: now, ModTime: now}, "")
}

// DeleteNamespace deletes an empty namespace. Errors wrap
// ErrInvalidNamespace (the default namespace), ErrNamespaceNotFound or
// ErrNamespaceNotEmpty.
func (r *Registry) DeleteNamespace(name string) error {
	if name == DefaultNamespace {
		return fmt.Errorf("%w: the %s namespace cannot be deleted", ErrInvalidNamespace, DefaultNamespace)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	cur := r.st.Load()
	if _, ok := cur.namespaces[name]; !ok {
		return fmt.Errorf("%w: %s", ErrNamespaceNotFound, name)
	}
	var left []string
	for _, k := range cur.names() {
		if NamespaceOf(k) == name {
			left = append(left, NameOf(k))
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("%w: namespace %s has %d functions (%s); delete them first", ErrNamespaceNotEmpty, name, len(left), strings.Join(left, ", "))
	}
	return r.saveNamespacesLocked(cur, Namespace{}, name)
}

// saveNamespacesLocked commits cur with add added (when named) and del
// removed (when not ""). The caller holds mu.
func (r *Registry) saveNamespacesLocked(cur *state, add Namespace, del string) error {
	nss := maps.Clone(cur.namespaces)
	if nss == nil {
		nss = map[string]Namespace{}
	}
	if add.Name != "" {
		nss[add.Name] = add
	}
	delete(nss, del)
	next := &state{fns: cur.fns, layers: cur.layers, namespaces: nss, parked: cur.parked}
	if err := r.save(next); err != nil {
		return err
	}
	r.st.Store(next)
	return nil
}

// ensureNamespace returns st with namespace ns recorded, for functions
// defined in emulator.yaml under a namespace nobody created.
func (st *state) ensureNamespace(ns string, now time.Time) *state {
	if ns == DefaultNamespace {
		return st
	}
	if _, ok := st.namespaces[ns]; ok {
		return st
	}
	nss := maps.Clone(st.namespaces)
	if nss == nil {
		nss = map[string]Namespace{}
	}
	nss[ns] = Namespace{Name: ns, AddTime: now, ModTime: now}
	return &state{fns: st.fns, layers: st.layers, namespaces: nss, parked: st.parked}
}

// sortedNamespaces returns the created namespaces by name.
func (st *state) sortedNamespaces() []Namespace {
	out := make([]Namespace, 0, len(st.namespaces))
	for _, n := range slices.Sorted(maps.Keys(st.namespaces)) {
		out = append(out, st.namespaces[n])
	}
	return out
}

func (st *state) sortedNamespacesWithDefault() []Namespace {
	def := Namespace{Name: DefaultNamespace, Description: "default namespace"}
	return append([]Namespace{def}, st.sortedNamespaces()...)
}
