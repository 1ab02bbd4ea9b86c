package logstore

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendJSON appends r as one JSON object, byte for byte what encoding/json
// makes from Record's tags with HTML escaping off (TestAppendJSONBytes and
// FuzzAppendJSON hold it to that; a field added to Record must be added
// here). Hand-written because the writer encodes every record and
// reflection costs several times more (BenchmarkEncode).
func appendJSON(b []byte, r *Record) []byte {
	b = append(b, `{"requestId":`...)
	b = appendString(b, r.RequestID)
	b = append(b, `,"function":`...)
	b = appendString(b, r.Function)
	b = appendOptString(b, `,"namespace":`, r.Namespace)
	b = appendOptString(b, `,"qualifier":`, r.Qualifier)
	b = append(b, `,"version":`...)
	b = appendString(b, r.Version)
	b = appendOptString(b, `,"alias":`, r.Alias)
	b = appendOptString(b, `,"source":`, r.Source)
	b = append(b, `,"startTime":"`...)
	b = r.StartTime.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","durationNs":`...)
	b = strconv.AppendInt(b, int64(r.Duration), 10)
	b = append(b, `,"billDurationNs":`...)
	b = strconv.AppendInt(b, int64(r.BillDuration), 10)
	b = append(b, `,"memUsage":`...)
	b = strconv.AppendInt(b, r.MemUsage, 10)
	b = append(b, `,"memoryMB":`...)
	b = strconv.AppendInt(b, int64(r.MemoryMB), 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = appendOptString(b, `,"retMsg":`, r.RetMsg)
	b = appendOptString(b, `,"log":`, r.Log)
	if r.ColdStart {
		b = append(b, `,"coldStart":true`...)
	}
	if r.InitDuration != 0 {
		b = append(b, `,"initDurationNs":`...)
		b = strconv.AppendInt(b, int64(r.InitDuration), 10)
	}
	if r.Running {
		b = append(b, `,"running":true`...)
	}
	b = appendOptString(b, `,"trigger":`, r.Trigger)
	if r.RetryNum != 0 {
		b = append(b, `,"retryNum":`...)
		b = strconv.AppendInt(b, int64(r.RetryNum), 10)
	}
	b = appendOptString(b, `,"stage":`, r.Stage)
	return append(b, '}')
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

const hexDigits = "0123456789abcdef"

// plainWord reports whether all 8 bytes of w are plain, testing them at once
// with the "has zero byte" and "has byte less than n" tricks of Bit
// Twiddling Hacks (both exact for the existence test).
func plainWord(w string) bool { return notPlain(load64(w)) == 0 }

// load64 reads the first 8 bytes of w, little-endian (one load once inlined).
func load64(w string) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// notPlain has a byte's high bit set where a byte of x may need escaping.
func notPlain(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, b := x^(ones*'"'), x^(ones*'\\')
	return (x | (x-ones*0x20)&^x | (q-ones)&^q | (b-ones)&^b) & highs
}

// plain marks the ASCII bytes that appendString copies unescaped.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// in encoding/json; U+2028 and U+2029 are escaped so the line stays valid
// JavaScript too. Runs of plain ASCII are skipped 8 bytes at a time.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && notPlain(load64(s[i:])) == 0 {
			i += 8
			continue
		}
		// Byte by byte to the end of this word (a rune may run past it).
		for end := min(i+8, len(s)); i < end; {
			c := s[i]
			if plain[c] {
				i++
				continue
			}
			if c < utf8.RuneSelf {
				b = append(b, s[start:i]...)
				b = appendEscaped(b, c)
				i++
				start = i
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				b = append(b, s[start:i]...)
				if r == utf8.RuneError {
					b = append(b, `\ufffd`...)
				} else {
					b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
				}
				start = i + size
			}
			i += size
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscaped appends the escape of an ASCII byte that is not plain.
func appendEscaped(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
