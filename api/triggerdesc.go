package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"strings"

	"github.com/scf-emulator/emulator/registry"
)

// Defaults of an apigw TriggerDesc, as the SCF console and the Serverless
// components fill them in.
const (
	defaultService = "SCF_API_SERVICE"
	defaultStage   = "release"
	defaultMethod  = "ANY"
)

// apigwBinding is what an apigw TriggerDesc binds, defaults applied.
type apigwBinding struct {
	raw        map[string]any // the client's object, kept for keys the emulator ignores
	service    string
	serviceID  string // as the client gave it, "" when absent
	stage      string
	path       string
	method     string
	integrated bool
}

// parseAPIGWDesc reads an apigw TriggerDesc (reference: SCF doc 583/34880):
//
//	{"api":{"requestConfig":{"method":"ANY","path":"/x"},"isIntegratedResponse":"TRUE"},
//	 "service":{"serviceName":"..."} or {"serviceId":"service-xxxxxxxx"},
//	 "release":{"environmentName":"release"}}
//
// An empty desc takes every default: path /<function>, method ANY, stage
// release, service SCF_API_SERVICE.
func parseAPIGWDesc(desc, function string) (apigwBinding, error) {
	b := apigwBinding{raw: map[string]any{}}
	if strings.TrimSpace(desc) != "" {
		dec := json.NewDecoder(strings.NewReader(desc))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil || dec.More() {
			return b, newError(codeBadTriggerDesc, "TriggerDesc must be a JSON object in a string, such as {\"api\":{\"requestConfig\":{\"method\":\"GET\",\"path\":\"/hello\"}}}")
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return b, newError(codeBadTriggerDesc, "TriggerDesc must be a JSON object, not a JSON %s", jsonKind(v))
		}
		b.raw = obj
	}
	api, err := object(b.raw, "api")
	if err != nil {
		return b, err
	}
	reqCfg, err := object(api, "requestConfig", "api")
	if err != nil {
		return b, err
	}
	svc, err := object(b.raw, "service")
	if err != nil {
		return b, err
	}
	rel, err := object(b.raw, "release")
	if err != nil {
		return b, err
	}
	fields := []struct {
		m     map[string]any
		key   string
		at    string
		dst   *string
		deflt string
	}{
		{reqCfg, "method", "api.requestConfig.method", &b.method, defaultMethod},
		{reqCfg, "path", "api.requestConfig.path", &b.path, "/" + function},
		{svc, "serviceName", "service.serviceName", &b.service, ""},
		{svc, "serviceId", "service.serviceId", &b.serviceID, ""},
		{rel, "environmentName", "release.environmentName", &b.stage, defaultStage},
	}
	for _, f := range fields {
		s, err := stringField(f.m, f.key, f.at)
		if err != nil {
			return b, err
		}
		if s == "" {
			s = f.deflt
		}
		*f.dst = s
	}
	b.method = strings.ToUpper(b.method)
	// Absent means on: the SCF console creates apigw triggers with the
	// integrated response enabled (scf-behaviour 5.2), and so does the
	// gateway contract; FALSE passes the return value through.
	b.integrated = true
	switch v := api["isIntegratedResponse"].(type) {
	case nil:
	case bool:
		b.integrated = v
	case string:
		switch strings.ToUpper(v) {
		case "TRUE", "":
		case "FALSE":
			b.integrated = false
		default:
			return b, newError(codeBadTriggerDesc, "TriggerDesc api.isIntegratedResponse must be TRUE or FALSE, got %q", v)
		}
	default:
		return b, newError(codeBadTriggerDesc, "TriggerDesc api.isIntegratedResponse must be TRUE or FALSE, not a JSON %s", jsonKind(v))
	}
	return b, nil
}

// object returns m[key] as an object; absent or null is an empty object.
func object(m map[string]any, key string, parent ...string) (map[string]any, error) {
	switch v := m[key].(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return v, nil
	default:
		at := strings.Join(append(parent, key), ".")
		return nil, newError(codeBadTriggerDesc, "TriggerDesc %s must be an object, not a JSON %s", at, jsonKind(v))
	}
}

func stringField(m map[string]any, key, at string) (string, error) {
	switch v := m[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", newError(codeBadTriggerDesc, "TriggerDesc %s must be a string, not a JSON %s", at, jsonKind(v))
	}
}

// serviceID derives the stable "service-xxxxxxxx" id of a service name. It
// is the gateway package's derivation (gateway/table.go serviceID), repeated
// here so that trigger descriptions and gateway events agree; the test pins
// known values.
func serviceID(name string) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256([]byte(name))
	id := make([]byte, 0, 16)
	id = append(id, "service-"...)
	for _, b := range sum[:8] {
		id = append(id, alphabet[int(b)%len(alphabet)])
	}
	return string(id)
}

// renderDesc returns the trigger's description as the platform answers it:
// the client's desc with defaults filled in, service.serviceId and
// service.subDomain (the local address of its service) set, and url, the
// full local URL of the API.
func (s *Server) renderDesc(t registry.Trigger) string {
	obj := map[string]any{}
	if t.Desc != "" {
		dec := json.NewDecoder(strings.NewReader(t.Desc))
		dec.UseNumber()
		var v map[string]any
		if dec.Decode(&v) == nil && v != nil {
			obj = v
		}
	}
	sub := func(m map[string]any, key string) map[string]any {
		if inner, ok := m[key].(map[string]any); ok {
			inner = maps.Clone(inner)
			m[key] = inner
			return inner
		}
		inner := map[string]any{}
		m[key] = inner
		return inner
	}
	api := sub(obj, "api")
	reqCfg := sub(api, "requestConfig")
	reqCfg["method"], reqCfg["path"] = t.Method, t.Path
	if !t.PassThrough {
		api["isIntegratedResponse"] = "TRUE"
	} else {
		api["isIntegratedResponse"] = "FALSE"
	}
	svc := sub(obj, "service")
	svc["serviceName"], svc["serviceId"] = t.Service, serviceID(t.Service)
	gw := s.opts.GatewayURL
	if s.opts.ServiceURL != nil {
		gw = s.opts.ServiceURL(t.Service)
	}
	gw = strings.TrimSuffix(gw, "/")
	svc["subDomain"] = gw
	sub(obj, "release")["environmentName"] = t.Stage
	// An exact (=/x) or prefix (^~/x) API answers at /x.
	at, ok := strings.CutPrefix(t.Path, "=")
	if !ok {
		at = strings.TrimPrefix(t.Path, "^~")
	}
	obj["url"] = gw + "/" + t.Stage + at
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(obj) // strings, numbers, bools and maps only
	return strings.TrimSuffix(buf.String(), "\n")
}
