package api

import (
	"context"
	"errors"
	"slices"
	"strings"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

// Layers is the registry's layer store. A Backend without it answers the
// layer actions, and a function that lists layers, with UnsupportedOperation.
type Layers interface {
	PublishLayer(ctx context.Context, spec registry.LayerSpec, fill registry.FillFunc) (registry.LayerVersion, error)
	Layers() []registry.Layer
	LayerVersions(name string) ([]registry.LayerVersion, error)
	LayerVersion(name string, version int) (registry.LayerVersion, error)
	DeleteLayerVersion(name string, version int) error
}

// Namespaces is the registry's namespace store. A Backend without it serves
// only the default namespace.
type Namespaces interface {
	HasNamespace(ns string) bool
	Namespaces() []registry.Namespace
	CreateNamespace(name, description string) error
	DeleteNamespace(name string) error
}

func (s *Server) layers() (Layers, error) {
	if l, ok := s.backend.(Layers); ok {
		return l, nil
	}
	return nil, newError(codeUnsupportedOperation, "Layers are not supported by this backend")
}

// hasNamespace reports whether ns exists; "" is the default namespace.
func (s *Server) hasNamespace(ns string) bool {
	if ns == "" || ns == registry.DefaultNamespace {
		return true
	}
	n, ok := s.backend.(Namespaces)
	return ok && n.HasNamespace(ns)
}

// layerRefs turns the Layers parameter of CreateFunction and
// UpdateFunctionConfiguration into references; every listed version must
// exist, as on the platform.
func (s *Server) layerRefs(in []*scf.LayerVersionSimple) ([]registry.LayerRef, error) {
	if len(in) == 0 {
		return nil, nil
	}
	ls, err := s.layers()
	if err != nil {
		return nil, err
	}
	out := make([]registry.LayerRef, 0, len(in))
	for i, l := range in {
		if l == nil || str(l.LayerName) == "" || l.LayerVersion == nil {
			return nil, newError(codeBadLayers, "Layers[%d] needs LayerName and LayerVersion", i)
		}
		if _, err := ls.LayerVersion(*l.LayerName, int(*l.LayerVersion)); err != nil {
			return nil, newError(codeBadLayers, "Layers[%d]: %v", i, err)
		}
		out = append(out, registry.LayerRef{Name: *l.LayerName, Version: int(*l.LayerVersion)})
	}
	return out, nil
}

func (s *Server) publishLayerVersion(ctx context.Context, c *call) (any, error) {
	var p scf.PublishLayerVersionRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := requireParams(need("LayerName", p.LayerName)); err != nil {
		return nil, err
	}
	if len(p.CompatibleRuntimes) == 0 {
		return nil, newError(codeMissingParameter, "missing required parameter: CompatibleRuntimes")
	}
	if p.Content == nil {
		return nil, newError(codeMissingParameter, "missing required parameter: Content")
	}
	ls, err := s.layers()
	if err != nil {
		return nil, err
	}
	runtimes := make([]string, 0, len(p.CompatibleRuntimes))
	for _, r := range p.CompatibleRuntimes {
		if err := checkRuntime(str(r)); err != nil {
			return nil, err
		}
		runtimes = append(runtimes, str(r))
	}
	data, err := zipParams{field: "Content.ZipFile", code: p.Content}.archive()
	if err != nil {
		return nil, err
	}
	spec := registry.LayerSpec{Name: *p.LayerName, Runtimes: runtimes, Description: str(p.Description), License: str(p.LicenseInfo)}
	v, err := ls.PublishLayer(ctx, spec, unzipInto(ctx, data))
	if err != nil {
		return nil, err
	}
	return &scf.PublishLayerVersionResponseParams{LayerVersion: ptr(int64(v.Version))}, nil
}

func layerInfo(v registry.LayerVersion) *scf.LayerVersionInfo {
	rts := make([]*string, 0, len(v.Runtimes))
	for _, r := range v.Runtimes {
		rts = append(rts, ptr(r))
	}
	return &scf.LayerVersionInfo{
		CompatibleRuntimes: rts, AddTime: ptr(formatTime(v.AddTime)), Description: ptr(v.Description),
		LicenseInfo: ptr(v.License), LayerVersion: ptr(int64(v.Version)), LayerName: ptr(v.Name),
		Status: ptr("Active"), Stamp: ptr("Default"), Tags: []*scf.Tag{},
	}
}

func compatible(v registry.LayerVersion, runtime string) bool {
	return runtime == "" || slices.Contains(v.Runtimes, runtime)
}

func (s *Server) listLayers(_ context.Context, c *call) (any, error) {
	var p scf.ListLayersRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	pg, err := pagingFromInts(p.Offset, p.Limit)
	if err != nil {
		return nil, err
	}
	ls, err := s.layers()
	if err != nil {
		return nil, err
	}
	search := strings.ToLower(str(p.SearchKey))
	all := []*scf.LayerVersionInfo{}
	for _, l := range ls.Layers() {
		if l.Newest.Version == 0 || !compatible(l.Newest, str(p.CompatibleRuntime)) ||
			!strings.Contains(strings.ToLower(l.Name), search) {
			continue
		}
		all = append(all, layerInfo(l.Newest))
	}
	total := int64(len(all))
	lo := min(pg.offset, uint64(len(all)))
	hi := min(lo+pg.limit, uint64(len(all)))
	return &scf.ListLayersResponseParams{Layers: all[lo:hi], TotalCount: ptr(total)}, nil
}

func (s *Server) listLayerVersions(_ context.Context, c *call) (any, error) {
	var p scf.ListLayerVersionsRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := requireParams(need("LayerName", p.LayerName)); err != nil {
		return nil, err
	}
	ls, err := s.layers()
	if err != nil {
		return nil, err
	}
	vs, err := ls.LayerVersions(*p.LayerName)
	if err != nil {
		return nil, err
	}
	out := []*scf.LayerVersionInfo{}
	for _, v := range slices.Backward(vs) {
		ok := len(p.CompatibleRuntime) == 0
		for _, r := range p.CompatibleRuntime {
			ok = ok || compatible(v, str(r))
		}
		if ok {
			out = append(out, layerInfo(v))
		}
	}
	return &scf.ListLayerVersionsResponseParams{LayerVersions: out}, nil
}

// layerVersionParams validates LayerName and LayerVersion.
func layerVersionParams(name *string, version *int64) error {
	if err := requireParams(need("LayerName", name)); err != nil {
		return err
	}
	if version == nil {
		return newError(codeMissingParameter, "missing required parameter: LayerVersion")
	}
	return nil
}

func (s *Server) getLayerVersion(_ context.Context, c *call) (any, error) {
	var p scf.GetLayerVersionRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := layerVersionParams(p.LayerName, p.LayerVersion); err != nil {
		return nil, err
	}
	ls, err := s.layers()
	if err != nil {
		return nil, err
	}
	v, err := ls.LayerVersion(*p.LayerName, int(*p.LayerVersion))
	if err != nil {
		return nil, err
	}
	i := layerInfo(v)
	return &scf.GetLayerVersionResponseParams{
		CompatibleRuntimes: i.CompatibleRuntimes, CodeSha256: ptr(v.CodeHash), Location: ptr(v.CodeDir),
		AddTime: i.AddTime, Description: i.Description, LicenseInfo: i.LicenseInfo,
		LayerVersion: i.LayerVersion, LayerName: i.LayerName, Status: i.Status,
	}, nil
}

func (s *Server) deleteLayerVersion(_ context.Context, c *call) (any, error) {
	var p scf.DeleteLayerVersionRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := layerVersionParams(p.LayerName, p.LayerVersion); err != nil {
		return nil, err
	}
	ls, err := s.layers()
	if err != nil {
		return nil, err
	}
	if err := ls.DeleteLayerVersion(*p.LayerName, int(*p.LayerVersion)); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// layerErrorFor maps the layer and namespace sentinels to platform codes.
func layerErrorFor(err error) (*apiError, bool) {
	msg := err.Error()
	switch {
	case errors.Is(err, registry.ErrLayerNotFound):
		return &apiError{codeLayerNotFound, msg}, true
	case errors.Is(err, registry.ErrLayerVersionNotFound):
		return &apiError{codeLayerVersionNotFound, msg}, true
	case errors.Is(err, registry.ErrLayerInUse):
		return &apiError{codeLayerVersionInUse, msg}, true
	case errors.Is(err, registry.ErrInvalidLayer):
		return &apiError{codeBadLayerName, msg}, true
	case errors.Is(err, registry.ErrNamespaceNotFound):
		return &apiError{codeNamespaceNotFound, msg}, true
	case errors.Is(err, registry.ErrNamespaceExists):
		return &apiError{codeNamespaceExists, msg}, true
	case errors.Is(err, registry.ErrNamespaceNotEmpty):
		return &apiError{codeNamespaceInUse, msg}, true
	case errors.Is(err, registry.ErrInvalidNamespace):
		return &apiError{codeBadNamespace, msg}, true
	}
	return nil, false
}

// Codes of layers and namespaces (scf/v20180416/errors.go).
const (
	codeBadLayers            = "InvalidParameterValue.Layers"
	codeBadLayerName         = "InvalidParameterValue.LayerName"
	codeLayerNotFound        = "ResourceNotFound.Layer"
	codeLayerVersionNotFound = "ResourceNotFound.LayerVersion"
	codeLayerVersionInUse    = "ResourceInUse.LayerVersion"
	codeNamespaceExists      = "ResourceInUse.Namespace"
	codeNamespaceInUse       = "FailedOperation.Namespace"
	codeDeleteDefaultNS      = "FailedOperation.DeleteNamespace"
	codeCreateDefaultNS      = "InvalidParameterValue.DefaultNamespace"
	codeBadNamespace         = "InvalidParameterValue.Namespace"
)

// layersOut lists the layer versions v runs with, for GetFunction; a
// $LATEST that follows a layer's folder shows the newest version's details.
func (s *Server) layersOut(v registry.Version) []*scf.LayerVersionInfo {
	out := []*scf.LayerVersionInfo{}
	ls, ok := s.backend.(Layers)
	for _, u := range v.Layers {
		lv := registry.LayerVersion{Name: u.Name, Version: u.Version}
		if ok {
			if full, err := ls.LayerVersion(u.Name, u.Version); err == nil {
				lv = full
			}
		}
		out = append(out, layerInfo(lv))
	}
	return out
}
