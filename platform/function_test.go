package platform

import (
	"strings"
	"testing"
)

func TestIsMemorySize(t *testing.T) {
	for _, m := range []int64{64, 128, 256, 1536, 3072} {
		if !IsMemorySize(m) {
			t.Errorf("IsMemorySize(%d) = false", m)
		}
	}
	for _, m := range []int64{-128, 0, 1, 63, 65, 96, 127, 129, 200, 3071, 3200, 4096} {
		if IsMemorySize(m) {
			t.Errorf("IsMemorySize(%d) = true", m)
		}
	}
}

func TestIsTimeout(t *testing.T) {
	for _, s := range []int64{1, 3, 900} {
		if !IsTimeout(s) {
			t.Errorf("IsTimeout(%d) = false", s)
		}
	}
	for _, s := range []int64{-1, 0, 901} {
		if IsTimeout(s) {
			t.Errorf("IsTimeout(%d) = true", s)
		}
	}
}

func TestIsRuntime(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"Python3.6", true}, {"Python3.9", true}, {"Python3.12", true},
		{"Go1", true}, {"CustomRuntime", true},
		{"Nodejs10.15", true}, {"Nodejs16.13", true}, {"Nodejs18.15", true}, {"Nodejs22.0", true},
		{"Nodejs9.9", false}, {"Nodejs23.1", false}, {"Nodejs8.9", false},
		{"Nodejs16", false}, {"Nodejs16.", false}, {"Nodejs.13", false}, {"Nodejs016.13", false},
		{"Nodejs16.13.1", false}, {"Nodejs1a.1", false},
		{"nodejs16.13", false}, {"python3.9", false}, {"Python2.7", false}, {"Python3.8", false},
		{"Php7.2", true}, {"Php7.4", true}, {"Php8.0", true},
		{"Java8", false}, {"Php7", false}, {"php7.2", false}, {"Php5.6", false}, {"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsRuntime(tt.in); got != tt.ok {
				t.Errorf("IsRuntime(%q) = %v, want %v", tt.in, got, tt.ok)
			}
		})
	}
	for _, r := range Runtimes() {
		if !IsRuntime(r) || !strings.Contains(SupportedRuntimes(), r) {
			t.Errorf("runtime %s is listed but not accepted or not in SupportedRuntimes", r)
		}
	}
}

func TestIsHandler(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"index.main_handler", true},
		{"src/app.handler", true},
		{"pkg.mod.main", true},
		{"index.$handler", true},
		{"index.h1", true},
		{"", false},
		{"index", false},
		{".main", false},
		{"index.", false},
		{"index.1main", false},
		{"index.main-handler", false},
		{"my index.main", false},
		{"index.main ", false},
		{"a\tb.main", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsHandler(tt.in); got != tt.ok {
				t.Errorf("IsHandler(%q) = %v, want %v", tt.in, got, tt.ok)
			}
		})
	}
}

func TestEnvKeys(t *testing.T) {
	tests := []struct {
		in       string
		ok       bool
		reserved string
	}{
		{"GREETING", true, ""},
		{"a1_b", true, ""},
		{"SCF_RUNTIME", true, "SCF_"},
		{"QCLOUD_X", true, "QCLOUD_"},
		{"TENCENTCLOUD_SECRETID", true, "TENCENTCLOUD_"},
		{"", false, ""},
		{"1A", false, ""},
		{"_A", false, ""},
		{"A-B", false, ""},
		{"A.B", false, ""},
		{"É", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsEnvKey(tt.in); got != tt.ok {
				t.Errorf("IsEnvKey(%q) = %v, want %v", tt.in, got, tt.ok)
			}
			if got := ReservedEnvPrefix(tt.in); got != tt.reserved {
				t.Errorf("ReservedEnvPrefix(%q) = %q, want %q", tt.in, got, tt.reserved)
			}
		})
	}
}
