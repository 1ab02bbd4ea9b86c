package api

import (
	"context"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/platform"
	"github.com/scf-emulator/emulator/registry"
)

// Capacity keeps provisioned and reserved concurrency (package capacity,
// with the runtime's live counts, wired in cmd/emulator).
type Capacity interface {
	SetProvisioned(function, version string, n int) error
	// Provisioned lists the function's provisioned versions with the
	// instances started for each.
	Provisioned(function string) []ProvisionedVersion
	// SetReserved sets the cap in MB; mb < 0 deletes it.
	SetReserved(function string, mb int) error
	Reserved(function string) (mb int, ok bool)
}

// ProvisionedVersion is one version's provisioned concurrency.
type ProvisionedVersion struct {
	Version   string
	Allocated int // asked for
	Available int // started and ready
}

// Limits of the emulated account.
const (
	maxProvisionedPerVersion = 100
	maxReservedMem           = 128000 // MB: the platform's default account quota
)

const (
	codeProvisionedExceedReserved = "FailedOperation.ProvisionedExceedReserved"
	codeBadProvisionType          = "InvalidParameterValue.ProvisionType"
	codeReservedMemLimit          = "LimitExceeded.FunctionReservedConcurrencyMemory"
	codeProvisionedLimit          = "LimitExceeded.FunctionTotalProvisionedConcurrencyNum"
)

func (s *Server) capacity() (Capacity, error) {
	if s.opts.Capacity == nil {
		return nil, newError(codeUnsupportedOperation, "provisioned and reserved concurrency are not kept by this server")
	}
	return s.opts.Capacity, nil
}

// provisionedVersion checks that q names a published version of function.
func (s *Server) provisionedVersion(function, q string) (registry.Version, error) {
	if q == registry.Latest || platform.Qualifier(q) != platform.QualifierVersion {
		return registry.Version{}, newError(codeBadQualifier, "Qualifier %q: provisioned concurrency is set on a published version (1, 2, ...), not on $LATEST or an alias", q)
	}
	return s.backend.Version(function, q)
}

func (s *Server) putProvisioned(_ context.Context, c *call) (any, error) {
	var p scf.PutProvisionedConcurrencyConfigRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("Qualifier", p.Qualifier)); err != nil {
		return nil, err
	}
	capa, err := s.capacity()
	if err != nil {
		return nil, err
	}
	if p.VersionProvisionedConcurrencyNum == nil {
		return nil, newError(codeMissingParameter, "missing required parameter: VersionProvisionedConcurrencyNum")
	}
	if t := str(p.ProvisionedType); (t != "" && t != "Default") || p.TrackingTarget != nil || p.MinCapacity != nil || p.MaxCapacity != nil || len(p.TriggerActions) > 0 {
		return nil, newError(codeBadProvisionType, "only a fixed count (ProvisionedType Default) is emulated: no scheduled or tracking provisioning")
	}
	n := *p.VersionProvisionedConcurrencyNum
	if n < 1 || n > maxProvisionedPerVersion {
		return nil, newError(codeProvisionedLimit, "VersionProvisionedConcurrencyNum %d must be 1..%d", n, maxProvisionedPerVersion)
	}
	v, err := s.provisionedVersion(c.function, *p.Qualifier)
	if err != nil {
		return nil, err
	}
	if mb, ok := capa.Reserved(c.function); ok {
		total := int(n) * v.Config.MemorySize
		for _, pv := range capa.Provisioned(c.function) {
			if pv.Version != v.Version {
				if o, err := s.backend.Version(c.function, pv.Version); err == nil {
					total += pv.Allocated * o.Config.MemorySize
				}
			}
		}
		if total > mb {
			return nil, newError(codeProvisionedExceedReserved, "provisioned concurrency would need %d MB, more than the %d MB reserved for the function", total, mb)
		}
	}
	if err := capa.SetProvisioned(c.function, v.Version, int(n)); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) getProvisioned(_ context.Context, c *call) (any, error) {
	var p scf.GetProvisionedConcurrencyConfigRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	capa, err := s.capacity()
	if err != nil {
		return nil, err
	}
	f, err := s.backend.Function(c.function)
	if err != nil {
		return nil, err
	}
	q := str(p.Qualifier)
	out := []*scf.VersionProvisionedConcurrencyInfo{}
	used := 0
	for _, pv := range capa.Provisioned(c.function) {
		used += pv.Allocated
		if q != "" && pv.Version != q {
			continue
		}
		status, reason := "Done", "provisioned instances are started"
		if pv.Available < pv.Allocated {
			status, reason = "InProgress", "provisioned instances are starting"
		}
		out = append(out, &scf.VersionProvisionedConcurrencyInfo{
			AllocatedProvisionedConcurrencyNum: ptr(uint64(pv.Allocated)),
			AvailableProvisionedConcurrencyNum: ptr(uint64(pv.Available)),
			Status:                             ptr(status), StatusReason: ptr(reason), Qualifier: ptr(pv.Version),
			TriggerActions: []*scf.TriggerAction{},
		})
	}
	// What is left to provision: the function's reserved memory, or the
	// account's quota without one, in instances of its memory size.
	quota := maxReservedMem
	if mb, ok := capa.Reserved(c.function); ok {
		quota = mb
	}
	left := quota/max(f.Config.MemorySize, 1) - used
	return &scf.GetProvisionedConcurrencyConfigResponseParams{
		UnallocatedConcurrencyNum: ptr(uint64(max(left, 0))),
		Allocated:                 out,
	}, nil
}

func (s *Server) deleteProvisioned(_ context.Context, c *call) (any, error) {
	var p scf.DeleteProvisionedConcurrencyConfigRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace, need("Qualifier", p.Qualifier)); err != nil {
		return nil, err
	}
	capa, err := s.capacity()
	if err != nil {
		return nil, err
	}
	v, err := s.provisionedVersion(c.function, *p.Qualifier)
	if err != nil {
		return nil, err
	}
	if err := capa.SetProvisioned(c.function, v.Version, 0); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) putReserved(_ context.Context, c *call) (any, error) {
	var p scf.PutReservedConcurrencyConfigRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	capa, err := s.capacity()
	if err != nil {
		return nil, err
	}
	if p.ReservedConcurrencyMem == nil {
		return nil, newError(codeMissingParameter, "missing required parameter: ReservedConcurrencyMem")
	}
	mb := *p.ReservedConcurrencyMem
	if mb > maxReservedMem {
		return nil, newError(codeReservedMemLimit, "ReservedConcurrencyMem %d MB is over the account's %d MB", mb, maxReservedMem)
	}
	if _, err := s.backend.Function(c.function); err != nil {
		return nil, err
	}
	if err := capa.SetReserved(c.function, int(mb)); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) getReserved(_ context.Context, c *call) (any, error) {
	var p scf.GetReservedConcurrencyConfigRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	capa, err := s.capacity()
	if err != nil {
		return nil, err
	}
	if _, err := s.backend.Function(c.function); err != nil {
		return nil, err
	}
	out := &scf.GetReservedConcurrencyConfigResponseParams{}
	if mb, ok := capa.Reserved(c.function); ok {
		out.ReservedMem = ptr(uint64(mb))
	}
	return out, nil
}

func (s *Server) deleteReserved(_ context.Context, c *call) (any, error) {
	var p scf.DeleteReservedConcurrencyConfigRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	capa, err := s.capacity()
	if err != nil {
		return nil, err
	}
	if _, err := s.backend.Function(c.function); err != nil {
		return nil, err
	}
	if err := capa.SetReserved(c.function, -1); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
