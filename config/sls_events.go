package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// slsTrigger maps one timer, cos, ckafka or cmq event of an scf component
// onto an item of functions.<name>.triggers, nodes kept at their
// serverless.yml positions so the trigger decoder names those lines.
func (m *slsMapper) slsTrigger(sf *slsFile, d *decoder, ev pair, index int) *yaml.Node {
	top := d.fields(ev.val, ev.path, "name", "parameters")
	if top == nil {
		return nil
	}
	pp, ok := top["parameters"]
	if !ok {
		d.at(ev.key, ev.path, "parameters is required")
		return nil
	}
	t := mapping(ev.val, "type", ev.name)
	add := func(key string, v *yaml.Node) { t.Content = append(t.Content, str(key, v), v) }
	name := str(fmt.Sprintf("%s-%d", ev.name, index), ev.key) // the component names unnamed triggers itself
	if np, ok := top["name"]; ok {
		name = np.val
	}
	for _, p := range d.pairs(pp.val, pp.path) {
		switch {
		case p.name == "qualifier":
			add("qualifier", p.val)
		case p.name == "enable":
			add("enable", p.val)
		case p.name == "name" && ev.name != "ckafka": // a CKafka trigger's name is its instance
			name = p.val
		case ev.name == "timer" && p.name == "cronExpression":
			add("cron", p.val)
		case ev.name == "timer" && p.name == "argument":
			add("message", p.val)
		case ev.name == "cos" && p.name == "bucket":
			add("bucket", m.bucketFolder(sf, p))
		case ev.name == "cos" && p.name == "events":
			add("events", p.val)
		case ev.name == "cos" && p.name == "filter":
			for _, fp := range d.pairs(p.val, p.path) {
				switch strings.ToLower(fp.name) {
				case "prefix", "suffix":
					add(strings.ToLower(fp.name), fp.val)
				default:
					m.warn(sf.path, fp.key, fp.path, "unknown key, ignored")
				}
			}
		case (ev.name == "ckafka" || ev.name == "cmq") && p.name == "topic":
			add("topic", p.val)
		case ev.name == "ckafka" && p.name == "maxMsgNum":
			add("batch", p.val)
		case ev.name == "ckafka" && p.name == "retry":
			add("retry", p.val)
		case ev.name == "ckafka" && p.name == "timeout":
			// The component's timeout is the batch's wait in seconds.
			if v := resolve(p.val); v != nil && v.ShortTag() == "!!int" {
				var s int
				_ = v.Decode(&s)
				add("maxWait", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(s * 1000), Line: v.Line, Column: v.Column})
			}
		case ev.name == "ckafka" && p.name == "name":
			m.warn(sf.path, p.key, p.path, "ignored: the CKafka instance; locally one broker serves every topic")
		default:
			m.warn(sf.path, p.key, p.path, "ignored: cloud-only")
		}
	}
	if ev.name == "cmq" && !hasKey(t, "topic") {
		add("topic", name) // the CMQ topic is the trigger's name
	}
	add("name", name)
	m.track(sf.path, t)
	return t
}

// bucketFolder maps a cloud bucket (name-appid, maybe with its
// .cos.<region>.myqcloud.com host) to the local folder buckets/<bucket>
// beside the serverless.yml, and says so.
func (m *slsMapper) bucketFolder(sf *slsFile, p pair) *yaml.Node {
	v := resolve(p.val)
	if v == nil || v.Kind != yaml.ScalarNode || v.Value == "" {
		return p.val // the trigger decoder reports it
	}
	bucket, _, _ := strings.Cut(v.Value, ".cos.")
	bucket = filepath.Base(filepath.Clean("/" + bucket))
	dir := filepath.Join(sf.dir, "buckets", bucket)
	shownDir := dir
	if m.base != "" {
		if r, err := filepath.Rel(m.base, dir); err == nil {
			dir = "./" + r
		}
	}
	m.warn(sf.path, p.val, p.path, fmt.Sprintf("bucket %s is a cloud bucket; locally the folder %s acts as it (created when the emulator starts)", v.Value, shownDir))
	return str(dir, v)
}
