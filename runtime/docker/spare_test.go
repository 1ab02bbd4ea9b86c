package docker

import "testing"

func TestRunScript(t *testing.T) {
	for _, c := range []struct {
		name          string
		old, env, cmd []string
		want          string
	}{
		{"quotes and unsets", []string{"A", "GONE", "bad-name"}, []string{"A=it's $x"}, []string{"python3", "-u"},
			"export A='it'\\''s $x'\nunset GONE\ncd /var/user && exec 'python3' '-u'\n"},
		{"value with =", nil, []string{"B=a=b"}, []string{"node"}, "export B='a=b'\ncd /var/user && exec 'node'\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := runScript(c.old, c.env, c.cmd); got != c.want {
				t.Errorf("runScript = %q, want %q", got, c.want)
			}
		})
	}
}
