package platform

import (
	"strings"
	"testing"
)

func TestRetiredRuntime(t *testing.T) {
	tests := []struct{ name, use string }{
		{"Python2.7", "Python3.9"},
		{"Nodejs6.10", "Nodejs18.15"},
		{"Nodejs8.9", "Nodejs18.15"},
		{"Nodejs8.10", "Nodejs18.15"},
		{"Python3.9", ""},
		{"Nodejs12.16", ""},
		{"Nodejs0.1", ""},
		{"Go1", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := RetiredRuntime(tc.name)
			if tc.use == "" {
				if got != "" {
					t.Errorf("RetiredRuntime(%s) = %q, want none", tc.name, got)
				}
				return
			}
			if !strings.Contains(got, "retired") || !strings.Contains(got, "use "+tc.use) || !strings.Contains(got, tc.name) {
				t.Errorf("RetiredRuntime(%s) = %q, want it retired in favour of %s", tc.name, got, tc.use)
			}
			if IsRuntime(tc.name) {
				t.Errorf("%s is retired but IsRuntime accepts it", tc.name)
			}
		})
	}
}

func TestLanguageVersion(t *testing.T) {
	tests := []struct {
		runtime, interp, want, host string
		same                        bool
	}{
		{"Python3.6", "python3", "3.6", "3.11.2", false},
		{"Python3.11", "python3", "3.11", "3.11.2", true},
		{"Python3.1", "python3", "3.1", "3.11.2", false},
		{"Nodejs18.15", "node", "18", "v18.19.0", true},
		{"Nodejs12.16", "node", "12", "v18.19.0", false},
		{"Php7.4", "php", "7.4", "7.4.33", true},
		{"Php8.0", "php", "8.0", "8.2.7", false},
		{"Go1", "", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.runtime, func(t *testing.T) {
			interp, v := LanguageVersion(tc.runtime)
			if interp != tc.interp || v != tc.want {
				t.Fatalf("LanguageVersion = %q %q, want %q %q", interp, v, tc.interp, tc.want)
			}
			if interp != "" && SameVersion(v, tc.host) != tc.same {
				t.Errorf("SameVersion(%q, %q) = %v, want %v", v, tc.host, !tc.same, tc.same)
			}
		})
	}
}
