package api

import (
	"context"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

func (s *Server) namespaces() (Namespaces, error) {
	if n, ok := s.backend.(Namespaces); ok {
		return n, nil
	}
	return nil, newError(codeUnsupportedOperation, "Namespaces are not supported by this backend")
}

func (s *Server) createNamespace(_ context.Context, c *call) (any, error) {
	var p scf.CreateNamespaceRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := requireParams(need("Namespace", p.Namespace)); err != nil {
		return nil, err
	}
	if *p.Namespace == registry.DefaultNamespace {
		return nil, newError(codeCreateDefaultNS, "the %s namespace always exists", registry.DefaultNamespace)
	}
	ns, err := s.namespaces()
	if err != nil {
		return nil, err
	}
	if err := ns.CreateNamespace(*p.Namespace, str(p.Description)); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) deleteNamespace(_ context.Context, c *call) (any, error) {
	var p scf.DeleteNamespaceRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := requireParams(need("Namespace", p.Namespace)); err != nil {
		return nil, err
	}
	if *p.Namespace == registry.DefaultNamespace {
		return nil, newError(codeDeleteDefaultNS, "the %s namespace cannot be deleted", registry.DefaultNamespace)
	}
	ns, err := s.namespaces()
	if err != nil {
		return nil, err
	}
	if err := ns.DeleteNamespace(*p.Namespace); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// listNamespaces lists the default namespace first, then the others by name.
func (s *Server) listNamespaces(_ context.Context, c *call) (any, error) {
	var p scf.ListNamespacesRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	pg, err := pagingFromInts(p.Offset, p.Limit)
	if err != nil {
		return nil, err
	}
	all := []registry.Namespace{{Name: registry.DefaultNamespace}}
	if ns, ok := s.backend.(Namespaces); ok {
		all = ns.Namespaces()
	}
	out := []*scf.Namespace{}
	for _, n := range all {
		typ := "custom"
		if n.Name == registry.DefaultNamespace {
			typ = "default"
		}
		out = append(out, &scf.Namespace{Name: ptr(n.Name), Description: ptr(n.Description), Type: ptr(typ),
			AddTime: ptr(formatTime(n.AddTime)), ModTime: ptr(formatTime(n.ModTime))})
	}
	lo := min(pg.offset, uint64(len(out)))
	hi := min(lo+pg.limit, uint64(len(out)))
	return &scf.ListNamespacesResponseParams{Namespaces: out[lo:hi], TotalCount: ptr(int64(len(out)))}, nil
}
