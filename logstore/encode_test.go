package logstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	full := rec("B", 3, "2", 430)
	full.Namespace, full.Alias, full.Source = "ns", "release", SourceGateway
	full.RetMsg = "quote \" backslash \\ nl \n tab \t ctl \x01 html <&> line-sep \u2028 emoji 😀 漢"
	full.Log = "bad utf8 \xff\xfe end"
	full.ColdStart, full.InitDuration, full.Running = true, 236*time.Millisecond, true
	full.StartTime = time.Date(2026, 5, 1, 10, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	tests := []struct {
		name string
		r    Record
	}{
		{"minimal", Record{RequestID: "r", Function: "f"}},
		{"typical", rec("B", 1, "1", 200)},
		{"full", full},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := appendJSON(nil, &tc.r)
			var got, want Record
			if err := json.Unmarshal(line, &got); err != nil {
				t.Fatalf("our encoding is not JSON: %v\n%s", err, line)
			}
			std, _ := json.Marshal(tc.r)
			if err := json.Unmarshal(std, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded differently\n got %+v\nwant %+v", got, want)
			}
			var gm, wm map[string]any
			json.Unmarshal(line, &gm)
			json.Unmarshal(std, &wm)
			if !reflect.DeepEqual(gm, wm) {
				t.Errorf("fields differ\n got %v\nwant %v", gm, wm)
			}
		})
	}
}

func TestPlainWord(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			want := true
			for _, b := range w {
				want = want && plain[b]
			}
			if got := plainWord(string(w)); got != want {
				t.Fatalf("plainWord(%q) = %v, want %v", w, got, want)
			}
		}
	}
}
