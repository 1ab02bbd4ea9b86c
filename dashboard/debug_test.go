package dashboard

import (
	"net/http"
	"testing"
)

// fakeDebug debugs the versions in its map, keyed "function version".
type fakeDebug map[string]int

func (f fakeDebug) DebugPort(function, version string) int { return f[function+" "+version] }

// TestDebugMarks: the overview flags a function with a debugged version and
// the function's versions table carries the port of the debugged one only.
func TestDebugMarks(t *testing.T) {
	src := newFake()
	src.addFunction("A", 0)
	src.addFunction("B", 2)
	opts := Options{Debug: fakeDebug{"B 2": 5679}}
	ov := decodeBody[overview](t, serve(t, src, opts, http.MethodGet, "/emulator/overview", nil))
	flags := map[string]bool{}
	for _, f := range ov.Functions {
		flags[f.Name] = f.Debug
	}
	if flags["A"] || !flags["B"] {
		t.Fatalf("overview debug flags %v, want B only", flags)
	}
	tests := []struct {
		version string
		port    int
	}{{"$LATEST", 0}, {"2", 5679}, {"1", 0}}
	d := decodeBody[detail](t, serve(t, src, opts, http.MethodGet, "/emulator/functions/B", nil))
	for i, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			if row := d.Versions[i]; row.Version.Version != tc.version || row.DebugPort != tc.port {
				t.Fatalf("row %d: version %s port %d, want %s port %d", i, row.Version.Version, row.DebugPort, tc.version, tc.port)
			}
		})
	}
	if ov := decodeBody[overview](t, serve(t, src, Options{}, http.MethodGet, "/emulator/overview", nil)); ov.Functions[1].Debug {
		t.Fatal("without Options.Debug no function is flagged")
	}
}
