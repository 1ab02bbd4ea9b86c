package logstore

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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

// stdJSON is what encoding/json makes of r, HTML left unescaped as in the
// files: the reference appendJSON must match byte for byte.
func stdJSON(r *Record) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}

func TestAppendJSONBytes(t *testing.T) {
	var ctl strings.Builder
	for c := range 0x20 {
		ctl.WriteByte(byte(c))
	}
	ctl.WriteString("\x7f")
	every := Record{ // every field set, to catch one the encoder forgets
		RequestID: "id", Function: "ns/f", Namespace: "ns", Qualifier: "q", Version: "2", Alias: "a",
		Source: SourceAsync, StartTime: t0, Duration: -1, BillDuration: 1 << 62, MemUsage: -1 << 63,
		MemoryMB: 3008, Status: 433, RetMsg: "r", Log: "l", ColdStart: true, InitDuration: -5,
		Running: true, Trigger: "tick", RetryNum: 2, Stage: "release",
	}
	tests := []struct {
		name string
		r    Record
	}{
		{"zero", Record{}},
		{"all fields", allFields()},
		{"minimal", Record{RequestID: "r", Function: "f"}},
		{"typical", rec("B", 1, "1", 200)},
		{"web", webRecord(7)},
		{"every field", every},
		{"control chars", Record{RequestID: ctl.String(), Log: "a\bb\fc\nd\re\tf\x00"}},
		{"quotes and backslashes", Record{RetMsg: `{"k":"v\\"}` + "\\\"", Log: `\u0041 \n`}},
		{"html", Record{Log: "<script>alert('&')</script> a>b && c<d", RetMsg: "<&>"}},
		{"unicode", Record{Log: "漢字 ✓ 😀 é\u00a0 \ufeff \U0010ffff", Function: "函数"}},
		{"line separators", Record{Log: "a\u2028b\u2029c \u2027\u202a"}},
		{"invalid utf8", Record{Log: "\xff\xfe lone \x80 cut \xe6\xbc end \xed\xa0\x80 surrogate \xc0\x80 overlong \xf4\x90\x80\x80 big \xe6"}},
		{"runes across words", Record{Log: strings.Repeat("abcdefg漢", 5) + strings.Repeat("x", 7) + "\xff" + strings.Repeat("y", 6) + "\u2028"}},
		{"nanosecond time in a zone", Record{StartTime: time.Date(2026, 5, 1, 10, 0, 0, 123456789, time.FixedZone("CST", 8*3600))}},
		{"trailing zero nanos", Record{StartTime: time.Date(2026, 5, 1, 10, 0, 0, 120000000, time.UTC)}},
		{"negative offset with seconds", Record{StartTime: time.Date(1999, 12, 31, 23, 59, 59, 1, time.FixedZone("", -(3*3600+30*60+15)))}},
		{"year 0", Record{StartTime: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), Log: "x"}},
		{"year 9999", Record{StartTime: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -23*3600-59*60))}},
		{"monotonic clock", Record{StartTime: time.Now()}},
		{"local zone", Record{StartTime: time.Date(2026, 1, 2, 3, 4, 5, 6, time.Local)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := stdJSON(&tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if got := appendJSON(nil, &tc.r); !bytes.Equal(got, want) {
				t.Errorf("appendJSON differs from encoding/json\n got %s\nwant %s", got, want)
			}
		})
	}
}

// allFields is a Record with every field set, found by reflection so that a
// field added to Record later and forgotten by appendJSON fails the test.
func allFields() Record {
	var r Record
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			f.SetString(v.Type().Field(i).Name)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(i + 1))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Struct:
			f.Set(reflect.ValueOf(t0))
		default:
			panic("allFields: no value for field " + v.Type().Field(i).Name)
		}
	}
	return r
}

// FuzzAppendJSON checks appendJSON against encoding/json byte for byte on
// arbitrary strings, numbers and times.
func FuzzAppendJSON(f *testing.F) {
	f.Add("r", "f", "<&>\u2028", "\xff\x00\x1f\"\\", int64(0), int64(0), 0, false)
	f.Add("漢字", "ns/f", "😀 \xe6\xbc", "", int64(1777629600123456789), int64(-1), 2, true)
	f.Fuzz(func(t *testing.T, id, fn, log, ret string, unixNs, d int64, n int, flag bool) {
		r := Record{
			RequestID: id, Function: fn, Namespace: ret, Qualifier: log, Version: id, Alias: fn,
			Source: log, StartTime: time.Unix(0, unixNs).In(time.FixedZone("", n%100000)),
			Duration: time.Duration(d), BillDuration: time.Duration(-d), MemUsage: d ^ unixNs, MemoryMB: n,
			Status: -n, RetMsg: ret, Log: log, ColdStart: flag, InitDuration: time.Duration(d / 3),
			Running: !flag, Trigger: ret, RetryNum: n / 7, Stage: id,
		}
		want, err := stdJSON(&r)
		if err != nil {
			t.Skip("encoding/json refuses it:", err) // a time RFC 3339 cannot carry
		}
		got := appendJSON(nil, &r)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendJSON differs from encoding/json\n got %s\nwant %s", got, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8 in %q", got)
		}
	})
}
