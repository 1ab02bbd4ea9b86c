package api

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"time"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

// The SDK's models tag every list `omitempty`, so encoding them directly
// would drop empty lists, where the platform sends []. The types below embed
// the SDK model, keeping its exact JSON types, and shadow each list field
// with one that is always written.

type routingConfigOut struct {
	AdditionalVersionWeights []*scf.VersionWeight `json:"AdditionalVersionWeights"`
	AddtionVersionMatchs     []*scf.VersionMatch  `json:"AddtionVersionMatchs"` // sic: the platform's spelling
	// The emulator's extensions (aliasext.go), present only when set.
	StickyHeader string      `json:"StickyHeader,omitempty"`
	Shadow       *shadowWire `json:"Shadow,omitempty"`
}

type aliasOut struct {
	*scf.Alias
	RoutingConfig routingConfigOut `json:"RoutingConfig"`
}

type getAliasOut struct {
	*scf.GetAliasResponseParams
	RoutingConfig routingConfigOut `json:"RoutingConfig"`
}

type listAliasesOut struct {
	Aliases    []aliasOut `json:"Aliases"`
	TotalCount uint64     `json:"TotalCount"`
}

type listVersionsOut struct {
	FunctionVersion []string               `json:"FunctionVersion"`
	Versions        []*scf.FunctionVersion `json:"Versions"`
	TotalCount      uint64                 `json:"TotalCount"`
}

type functionOut struct {
	*scf.Function
	Tags          []*scf.Tag          `json:"Tags"`
	StatusReasons []*scf.StatusReason `json:"StatusReasons"`
}

type listFunctionsOut struct {
	Functions  []functionOut `json:"Functions"`
	TotalCount int64         `json:"TotalCount"`
}

type environmentOut struct {
	Variables []*scf.Variable `json:"Variables"`
}

type getFunctionOut struct {
	*scf.GetFunctionResponseParams
	Triggers      []*scf.Trigger          `json:"Triggers"`
	Tags          []*scf.Tag              `json:"Tags"`
	Layers        []*scf.LayerVersionInfo `json:"Layers"`
	StatusReasons []*scf.StatusReason     `json:"StatusReasons"`
	Environment   environmentOut          `json:"Environment"`
}

// timeLayout is the platform's time format; times are in local time, as the
// console shows them.
const timeLayout = "2006-01-02 15:04:05"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(timeLayout)
}

// functionType maps the registry's type to the platform's "Event" | "HTTP".
func functionType(t string) string {
	if t == registry.TypeHTTP {
		return "HTTP"
	}
	return "Event"
}

// functionID derives a stable identifier in the platform's shape
// (lam-xxxxxxxx), so clients that display or key on it work.
func functionID(namespace, name string) string {
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	return "lam-" + hex.EncodeToString(sum[:4])
}

func namespaceOf(ns string) string {
	if ns == "" {
		return registry.DefaultNamespace
	}
	return ns
}

func toRoutingConfig(a registry.Alias) routingConfigOut {
	rc := routingConfigOut{
		AdditionalVersionWeights: make([]*scf.VersionWeight, 0, len(a.Weights)),
		AddtionVersionMatchs:     make([]*scf.VersionMatch, 0, len(a.Matches)),
		StickyHeader:             a.StickyHeader,
		Shadow:                   shadowOut(a.Shadow),
	}
	for _, w := range a.Weights {
		rc.AdditionalVersionWeights = append(rc.AdditionalVersionWeights, &scf.VersionWeight{Version: ptr(w.Version), Weight: ptr(w.Weight)})
	}
	for _, m := range a.Matches {
		rc.AddtionVersionMatchs = append(rc.AddtionVersionMatchs, &scf.VersionMatch{
			Version: ptr(m.Version), Key: ptr(m.Key), Method: ptr(m.Method), Expression: ptr(m.Expression),
		})
	}
	return rc
}

func toAlias(a registry.Alias) aliasOut {
	return aliasOut{
		Alias: &scf.Alias{
			FunctionVersion: ptr(a.FunctionVersion),
			Name:            ptr(a.Name),
			Description:     ptr(a.Description),
			AddTime:         ptr(formatTime(a.AddTime)),
			ModTime:         ptr(formatTime(a.ModTime)),
		},
		RoutingConfig: toRoutingConfig(a),
	}
}

// fromRoutingConfig converts the wire routing to the registry's. It checks
// only what the wire shape allows to be missing; the registry validates the
// meaning (weights, versions, expressions).
func fromRoutingConfig(rc *scf.RoutingConfig) ([]registry.VersionWeight, []registry.VersionMatch, error) {
	if rc == nil {
		return nil, nil, nil
	}
	var weights []registry.VersionWeight
	for i, w := range rc.AdditionalVersionWeights {
		switch {
		case w == nil:
			return nil, nil, newError(codeBadRouting, "RoutingConfig.AdditionalVersionWeights[%d] is null", i)
		case str(w.Version) == "":
			return nil, nil, newError(codeBadRouting, "RoutingConfig.AdditionalVersionWeights[%d].Version is missing", i)
		case w.Weight == nil:
			return nil, nil, newError(codeBadRouting, "RoutingConfig.AdditionalVersionWeights[%d].Weight is missing", i)
		}
		weights = append(weights, registry.VersionWeight{Version: *w.Version, Weight: *w.Weight})
	}
	var matches []registry.VersionMatch
	for i, m := range rc.AddtionVersionMatchs {
		if m == nil {
			return nil, nil, newError(codeBadRouting, "RoutingConfig.AddtionVersionMatchs[%d] is null", i)
		}
		for _, f := range []param{need("Version", m.Version), need("Key", m.Key), need("Method", m.Method), need("Expression", m.Expression)} {
			if str(f.value) == "" {
				return nil, nil, newError(codeBadRouting, "RoutingConfig.AddtionVersionMatchs[%d].%s is missing", i, f.name)
			}
		}
		matches = append(matches, registry.VersionMatch{Version: *m.Version, Key: *m.Key, Method: *m.Method, Expression: *m.Expression})
	}
	return weights, matches, nil
}

func toEnvironment(vars map[string]string) environmentOut {
	keys := slices.Sorted(maps.Keys(vars))
	env := environmentOut{Variables: make([]*scf.Variable, 0, len(keys))}
	for _, k := range keys {
		env.Variables = append(env.Variables, &scf.Variable{Key: ptr(k), Value: ptr(vars[k])})
	}
	return env
}
