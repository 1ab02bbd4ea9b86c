package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

// The emulator extends the alias actions' RoutingConfig with two fields the
// platform does not have:
//
//	"StickyHeader": "User"                         weighted picks hash this header per user
//	"Shadow": {"Version": "2", "Weight": 0.1}     copy 10% of requests to version 2
//	"Shadow": {..., "Diff": true}                 and compare the copies' answers
//
// On CreateAlias and UpdateAlias an absent field keeps the current value
// (nothing, on create); "StickyHeader": "" clears the header, and
// "Shadow": null, {} or {"Version": ""} clears the shadow. GetAlias and
// ListAliases return them when set. The official SDK ignores response
// fields it does not know, so its decoding is unaffected.

// routingConfigIn is the SDK's RoutingConfig plus the extensions. Its
// fields are spelled out rather than embedding scf.RoutingConfig, whose
// name would otherwise appear twice in decode errors' field paths.
type routingConfigIn struct {
	AdditionalVersionWeights []*scf.VersionWeight `json:"AdditionalVersionWeights"`
	AddtionVersionMatchs     []*scf.VersionMatch  `json:"AddtionVersionMatchs"`
	StickyHeader             *string              `json:"StickyHeader"`
	// Shadow is kept raw so that null (clear) and absent (keep) differ.
	Shadow json.RawMessage `json:"Shadow"`
}

type createAliasIn struct {
	scf.CreateAliasRequestParams
	RoutingConfig *routingConfigIn `json:"RoutingConfig"`
}

type updateAliasIn struct {
	scf.UpdateAliasRequestParams
	RoutingConfig *routingConfigIn `json:"RoutingConfig"`
}

// shadowWire is the extension's shadow object, in and out.
type shadowWire struct {
	Version *string  `json:"Version"`
	Weight  *float64 `json:"Weight"`
	// Diff compares each copy's answer with the primary's; absent is false.
	Diff *bool `json:"Diff,omitempty"`
}

// sdkRouting returns the part of rc the SDK model knows, nil for nil.
func (rc *routingConfigIn) sdkRouting() *scf.RoutingConfig {
	if rc == nil {
		return nil
	}
	return &scf.RoutingConfig{AdditionalVersionWeights: rc.AdditionalVersionWeights, AddtionVersionMatchs: rc.AddtionVersionMatchs}
}

// applyExtensions sets a's sticky header and shadow from rc where rc carries
// them, and leaves them as they are where it does not.
func applyExtensions(a *registry.Alias, rc *routingConfigIn) error {
	if rc == nil {
		return nil
	}
	if rc.StickyHeader != nil {
		a.StickyHeader = *rc.StickyHeader
	}
	if rc.Shadow == nil {
		return nil
	}
	s, err := decodeShadow(rc.Shadow)
	if err != nil {
		return err
	}
	a.Shadow = s
	return nil
}

// decodeShadow reads the Shadow extension; nil means "no shadow". The
// registry validates the version and the weight's range.
func decodeShadow(raw json.RawMessage) (*registry.Shadow, error) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	var w shadowWire
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, newError(codeBadRouting, "RoutingConfig.Shadow must be an object such as {\"Version\": \"2\", \"Weight\": 0.1}: %s", shadowProblem(err))
	}
	if str(w.Version) == "" {
		if w.Weight != nil && *w.Weight != 0 {
			return nil, newError(codeBadRouting, "RoutingConfig.Shadow.Version is missing")
		}
		return nil, nil
	}
	if w.Weight == nil {
		return nil, newError(codeBadRouting, "RoutingConfig.Shadow.Weight is missing")
	}
	return &registry.Shadow{Version: *w.Version, Weight: *w.Weight, Diff: w.Diff != nil && *w.Diff}, nil
}

// shadowProblem says what is wrong with a Shadow object in the request's
// terms, not Go's.
func shadowProblem(err error) string {
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if e.Field == "" {
			return "got a JSON " + e.Value
		}
		return fmt.Sprintf("%s must be %s, not a JSON %s", e.Field, kindName(e.Type), e.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + name
	}
	return err.Error()
}

// shadowOut is the Shadow extension of an alias, nil when it has none.
func shadowOut(s *registry.Shadow) *shadowWire {
	if s == nil {
		return nil
	}
	w := &shadowWire{Version: ptr(s.Version), Weight: ptr(s.Weight)}
	if s.Diff {
		w.Diff = ptr(true)
	}
	return w
}
