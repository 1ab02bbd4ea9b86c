package config

// MaxProvisioned bounds the instances provisioned for one version: the
// emulator starts them all on one machine.
const MaxProvisioned = 100

// provisioned reads {version: count}: that many instances of each published
// version are started ahead and kept warm. $LATEST cannot be provisioned, as
// on the platform.
func (d *decoder) provisioned(p pair) map[string]int {
	if isNull(p.val) {
		return nil
	}
	out := map[string]int{}
	seen := map[string]int{}
	for _, vp := range d.pairs(p.val, p.path) {
		v, ok := d.version(vp, vp.key)
		if !ok {
			continue
		}
		if first, dup := seen[v]; dup {
			d.at(vp.key, vp.path, "version %s is listed twice (first at line %d)", v, first)
			continue
		}
		seen[v] = vp.key.Line
		if v == Latest {
			d.at(vp.key, vp.path, "$LATEST cannot be provisioned: publish a version and provision that")
			continue
		}
		n, ok := d.integer(vp)
		if !ok {
			continue
		}
		if n < 0 || n > MaxProvisioned {
			d.at(vp.val, vp.path, "%d instances for version %s is outside 0..%d", n, v, MaxProvisioned)
			continue
		}
		if n > 0 {
			out[v] = n
		}
	}
	return out
}
