package watch

import "testing"

func TestTempName(t *testing.T) {
	tests := []struct {
		name string
		temp bool
	}{
		{"index.py", false},
		{"index.py~", true},
		{".index.py.swp", true},
		{".index.py.swo", true},
		{".index.py.swa", true},
		{"index.py.swp", true},
		{"x.swx", true},
		{"movie.swf", false},
		{".movie.swz", false},
		{"4913", true},
		{"5036", true},
		{"4914", false},
		{"1234", false},
		{".#index.py", true},
		{"#index.py#", true},
		{"#", false},
		{"index.py___jb_tmp___", true},
		{"index.py___jb_old___", true},
		{".DS_Store", true},
		{"bootstrap", false},
		{".env", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tempName(tc.name); got != tc.temp {
				t.Errorf("tempName(%q) = %v, want %v", tc.name, got, tc.temp)
			}
		})
	}
}

func TestSkipDir(t *testing.T) {
	tests := []struct {
		rel  string
		skip bool
	}{
		{".git", true},
		{".git/objects/ab", true},
		{"src/__pycache__", true},
		{"src/__pycache__/x.pyc", true},
		{"node_modules", false},
		{"node_modules/.cache", true},
		{"node_modules/.cache/babel/x.json", true},
		{".cache", false},
		{"a/node_modules/.cache", true},
		{".emulator/versions/1", true},
		{"src/git", false},
		{"src/.github/workflows", false},
	}
	for _, tc := range tests {
		t.Run(tc.rel, func(t *testing.T) {
			if got := skipDir(tc.rel); got != tc.skip {
				t.Errorf("skipDir(%q) = %v, want %v", tc.rel, got, tc.skip)
			}
		})
	}
}

func TestNormIgnoreAndIgnoredBy(t *testing.T) {
	const dir = "/src/fn"
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"dist", "dist", true},
		{"./dist/", "dist", true},
		{"/src/fn/bin/main", "bin/main", true},
		{"/elsewhere/x", "", false},
		{"../x", "", false},
		{".", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := normIgnore(dir, tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("normIgnore(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
	set := map[string]struct{}{"dist": {}, "bin/main": {}}
	for rel, want := range map[string]bool{
		"dist": true, "dist/a/b.js": true, "distance.js": false,
		"bin/main": true, "bin/main2": false, "bin": false, ".": false,
	} {
		if got := ignoredBy(set, rel); got != want {
			t.Errorf("ignoredBy(%q) = %v, want %v", rel, got, want)
		}
	}
}
