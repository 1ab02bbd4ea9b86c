package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// scfCloudOnly are scf inputs that configure the cloud account, network or
// billing; the emulator reads them and says they are not emulated.
var scfCloudOnly = map[string]string{
	"region": "", "role": "", "publicAccess": "", "vpcConfig": "", "cfs": "", "cls": "", "eip": "",
	"asyncRunEnable": "", "traceEnable": "", "tags": "", "initTimeout": "", "ignoreTriggers": "",
	"provisionedNum": "", "qualifier": "", "installDependency": "", "deadLetter": "", "l5Enable": "",
	"msgTTL": "", "retryNum": "", "instanceConcurrencyConfig": "", "publicNetConfig": "", "code": "",
	"image":     "image functions are not emulated yet",
	"publish":   "publish locally with `emulator publish NAME`",
	"traffic":   "shift traffic locally with `emulator deploy NAME --traffic X`",
	"entryFile": "web functions start from an scf_bootstrap in src",
}

// function maps an scf component's inputs to functions.<name> and its apigw
// events to services.
func (m *slsMapper) function(sf *slsFile) {
	d := &decoder{file: sf.path}
	name := instanceName(sf)
	at := sf.inputsKeyNode
	if sf.inputs == nil {
		m.fail(sf.path, sf.componentNode, "inputs", "inputs is required (name, src, handler, runtime ...)")
		return
	}
	fn := &yaml.Node{Kind: yaml.MappingNode, Line: at.Line, Column: at.Column}
	add := func(key string, v *yaml.Node) { fn.Content = append(fn.Content, str(key, v), v) }
	runtime := str("Nodejs10.15", at) // the component's default
	var events *pair
	var nameNode *yaml.Node
	for _, p := range d.pairs(sf.inputs, "inputs") {
		switch p.name {
		case "name":
			nameNode = p.key
		case "src":
			if n := m.srcFolder(sf, p); n != nil {
				add("source", n)
			}
		case "handler", "memorySize", "timeout", "description":
			add(p.name, p.val)
		case "runtime":
			runtime = p.val
		case "environment":
			add("environment", p.val)
		case "type":
			t := p.val
			if t.Value == "web" {
				t = str(TypeHTTP, p.val)
			}
			add("type", t)
		case "layers":
			if n := m.layerRefs(sf, p); n != nil {
				add("layers", n)
			}
		case "events":
			events = &p
		case "namespace":
			if p.val.Value != "" && p.val.Value != "default" {
				m.warn(sf.path, p.key, p.path, "namespaces are not emulated yet: the function runs in namespace default")
			}
		default:
			if why, ok := scfCloudOnly[p.name]; ok {
				m.warn(sf.path, p.key, p.path, strings.TrimSuffix("ignored: cloud-only; "+why, "; "))
				continue
			}
			m.warn(sf.path, p.key, p.path, "unknown key, ignored")
		}
	}
	m.problems = append(m.problems, d.problems...)
	fn.Content = append(fn.Content, str("runtime", runtime), runtime)
	if nameNode == nil {
		nameNode = at
	}
	key := str(name, nameNode)
	m.track(sf.path, key)
	m.track(sf.path, fn)
	m.functions.Content = append(m.functions.Content, key, fn)
	m.fnFile[name] = sf.path
	if events != nil {
		if ts := m.events(sf, name, *events); len(ts.Content) > 0 {
			fn.Content = append(fn.Content, str("triggers", events.key), ts)
			m.track(sf.path, ts)
		}
	}
}

// layer maps a layer component to layers.<name>.
func (m *slsMapper) layer(sf *slsFile) {
	d := &decoder{file: sf.path}
	if sf.inputs == nil {
		m.fail(sf.path, sf.componentNode, "inputs", "inputs is required (name, src, runtimes)")
		return
	}
	l := &yaml.Node{Kind: yaml.MappingNode, Line: sf.inputsKeyNode.Line, Column: sf.inputsKeyNode.Column}
	nameNode := sf.inputsKeyNode
	for _, p := range d.pairs(sf.inputs, "inputs") {
		switch p.name {
		case "name":
			nameNode = p.key
		case "src":
			if n := m.srcFolder(sf, p); n != nil {
				l.Content = append(l.Content, str("source", n), n)
			}
		case "runtimes", "description":
			l.Content = append(l.Content, str(p.name, p.val), p.val)
		case "region", "licenseInfo", "bucket", "object", "targetDir":
			m.warn(sf.path, p.key, p.path, "ignored: cloud-only")
		default:
			m.warn(sf.path, p.key, p.path, "unknown key, ignored")
		}
	}
	m.problems = append(m.problems, d.problems...)
	key := str(instanceName(sf), nameNode)
	m.track(sf.path, key)
	m.track(sf.path, l)
	m.layers.Content = append(m.layers.Content, key, l)
}

// layerRefs maps [{name, version}] to emulator.yaml's ["name:version"].
func (m *slsMapper) layerRefs(sf *slsFile, p pair) *yaml.Node {
	d := &decoder{file: sf.path}
	out := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Line: p.key.Line, Column: p.key.Column}
	for i, n := range d.items(p) {
		ip := pair{key: p.key, val: n, path: fmt.Sprintf("%s[%d]", p.path, i)}
		f := d.fields(n, ip.path, "name", "version")
		np, ok := f["name"]
		if !ok {
			if f != nil {
				d.at(n, ip.path, "name is required")
			}
			continue
		}
		ref := np.val.Value
		if vp, ok := f["version"]; ok && !m.outputVersion[vp.val] && vp.val.Value != "" {
			// A layer of a serverless project is one of its layer components,
			// which the emulator numbers itself: the cloud's version number
			// means nothing here, and the function runs the newest one.
			m.warn(sf.path, vp.val, ip.path+".version", fmt.Sprintf("layer version %s is the cloud's number; locally %s runs the newest version of the layer component", vp.val.Value, ref))
		}
		out.Content = append(out.Content, str(ref, np.val))
	}
	m.problems = append(m.problems, d.problems...)
	return out
}

// events maps apigw events to services and timer, cos, ckafka and cmq
// events to the returned triggers list; it warns about the rest.
func (m *slsMapper) events(sf *slsFile, fn string, p pair) *yaml.Node {
	d := &decoder{file: sf.path}
	ts := &yaml.Node{Kind: yaml.SequenceNode, Line: p.key.Line, Column: p.key.Column}
	for i, n := range d.items(p) {
		ip := fmt.Sprintf("%s[%d]", p.path, i)
		for _, ev := range d.pairs(n, ip) {
			switch ev.name {
			case "apigw":
				m.apigw(sf, fn, ev)
			case "timer", "cos", "ckafka", "cmq":
				if t := m.slsTrigger(sf, d, ev, i); t != nil {
					ts.Content = append(ts.Content, t)
				}
			default:
				m.warn(sf.path, ev.key, ev.path, ev.name+" event: not emulated, ignored")
			}
		}
	}
	m.problems = append(m.problems, d.problems...)
	return ts
}

// apigw maps one apigw event: serviceName (or serviceId) is the service,
// environment the stage, endpoints the APIs.
func (m *slsMapper) apigw(sf *slsFile, fn string, ev pair) {
	d := &decoder{file: sf.path}
	defer func() { m.problems = append(m.problems, d.problems...) }()
	top := d.fields(ev.val, ev.path, "name", "parameters")
	pp, ok := top["parameters"]
	if !ok {
		if top != nil {
			d.at(ev.key, ev.path, "parameters is required (serviceName, environment, endpoints)")
		}
		return
	}
	service, stage := str("serverless", pp.key), str("release", pp.key) // the component's defaults
	var endpoints *pair
	for _, p := range d.pairs(pp.val, pp.path) {
		switch p.name {
		case "serviceName":
			service = p.val
		case "serviceId":
			if !hasKey(pp.val, "serviceName") {
				service = p.val
			}
		case "environment":
			stage = p.val
		case "endpoints":
			endpoints = &p
		case "protocols", "netTypes", "description", "enableCORS", "customDomains", "usagePlan", "auth", "tags", "instanceId", "isInputServiceId", "isAutoRelease":
			m.warn(sf.path, p.key, p.path, "ignored: cloud-only")
		default:
			m.warn(sf.path, p.key, p.path, "unknown key, ignored")
		}
	}
	s := m.services[service.Value]
	if s == nil {
		s = &slsService{key: str(service.Value, service), stages: map[string]bool{}}
		m.track(sf.path, s.key)
		m.services[service.Value] = s
		m.serviceOrder = append(m.serviceOrder, service.Value)
	}
	if !s.stages[stage.Value] {
		s.stages[stage.Value] = true
		s.order = append(s.order, stage.Value)
	}
	if endpoints == nil {
		d.at(pp.key, pp.path, "endpoints is required (e.g. [{path: /, method: GET}])")
		return
	}
	for i, n := range d.items(*endpoints) {
		m.endpoint(sf, d, fn, stage, pair{key: endpoints.key, val: n, path: fmt.Sprintf("%s[%d]", endpoints.path, i)}, s)
	}
}

func (m *slsMapper) endpoint(sf *slsFile, d *decoder, fn string, stage *yaml.Node, ep pair, s *slsService) {
	api := mapping(ep.val, "function", fn)
	integrated, qualifier := false, "" // the component's defaults: off, $DEFAULT
	for _, p := range d.pairs(ep.val, ep.path) {
		switch p.name {
		case "path", "method":
			api.Content = append(api.Content, str(p.name, p.val), p.val)
		case "function":
			for _, fp := range d.pairs(p.val, p.path) {
				switch fp.name {
				case "isIntegratedResponse":
					integrated = fp.val.Value == "true" || fp.val.Value == "TRUE" || fp.val.Value == "True"
				case "functionQualifier":
					qualifier = fp.val.Value
				default:
					m.warn(sf.path, fp.key, fp.path, "ignored: the endpoint runs this component's function")
				}
			}
		default:
			m.warn(sf.path, p.key, p.path, "ignored: cloud-only")
		}
	}
	api.Content = append(api.Content, str("integratedResponse", ep.val), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool",
		Value: fmt.Sprint(integrated), Line: ep.val.Line, Column: ep.val.Column})
	if qualifier != "" && qualifier != Default {
		api.Content = append(api.Content, str("stages", ep.val), mapping(ep.val, stage.Value, qualifier))
	}
	api.Style = yaml.FlowStyle
	m.track(sf.path, api)
	s.apis = append(s.apis, api)
}

func hasKey(n *yaml.Node, key string) bool {
	n = resolve(n)
	for i := 0; n != nil && i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}
