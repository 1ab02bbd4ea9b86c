package platform

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits of a function's configuration (scf-behaviour.md 3.6;
// tencent-cloud-api.md CreateFunction).
const (
	DefaultMemorySize = 128  // MB
	MinMemorySize     = 64   // MB, the one size below MemoryStep
	MemoryStep        = 128  // MB: sizes from 128 up are multiples of it
	MaxMemorySize     = 3072 // MB
	DefaultTimeout    = 3    // s
	MaxTimeout        = 900  // s; the minimum is 1
	MaxEnvironment    = 4096 // bytes: the sum of len(key)+len(value)
)

// IsMemorySize reports whether m MB is a size the platform offers: 64, or
// a multiple of 128 from 128 to 3072.
func IsMemorySize(m int64) bool {
	return m == MinMemorySize || m >= MemoryStep && m <= MaxMemorySize && m%MemoryStep == 0
}

// IsTimeout reports whether t seconds is a valid execution timeout, 1 to 900.
func IsTimeout(t int64) bool { return t >= 1 && t <= MaxTimeout }

// Runtimes the emulator runs, by their SCF names (DESIGN.md "Config file":
// Python3.x, Nodejs16.13 ..., Php7.2, Go1, CustomRuntime;
// tencent-cloud-api.md CreateFunction lists the platform's). Node.js is any
// NodejsM.m with a major the emulator has an image for.
var fixedRuntimes = []string{
	"Python3.6", "Python3.7", "Python3.9", "Python3.10", "Python3.11", "Python3.12",
	"Php7.2", "Php7.4", "Php8.0",
	"Go1", "CustomRuntime",
}

// firstFixedAfterNode is where SupportedRuntimes lists Node.js among
// fixedRuntimes: after Python, before PHP.
const firstFixedAfterNode = 6

// Node.js majors the emulator runs.
const (
	MinNodeMajor = 10
	MaxNodeMajor = 22
)

// IsRuntime reports whether name is a runtime the emulator runs. Names are
// case-sensitive, as on the platform.
func IsRuntime(name string) bool {
	for _, r := range fixedRuntimes {
		if name == r {
			return true
		}
	}
	rest, ok := strings.CutPrefix(name, "Nodejs")
	if !ok {
		return false
	}
	major, minor, ok := strings.Cut(rest, ".")
	if !ok || !allDigits(minor) || !allDigits(major) || major[0] == '0' {
		return false
	}
	m, err := strconv.Atoi(major)
	return err == nil && m >= MinNodeMajor && m <= MaxNodeMajor
}

// Runtimes returns the runtimes named exactly (Node.js aside).
func Runtimes() []string { return append([]string(nil), fixedRuntimes...) }

// SupportedRuntimes lists the runtimes for messages.
func SupportedRuntimes() string {
	return strings.Join(fixedRuntimes[:firstFixedAfterNode], ", ") +
		fmt.Sprintf(", Nodejs<major>.<minor> for majors %d-%d (e.g. Nodejs12.16, Nodejs14.18, Nodejs16.13, Nodejs18.15), ", MinNodeMajor, MaxNodeMajor) +
		strings.Join(fixedRuntimes[firstFixedAfterNode:], ", ")
}

// NeedsHandler reports whether an event function of runtime names its entry
// point as file.function (scf-behaviour.md 4.1).
func NeedsHandler(runtime string) bool {
	return strings.HasPrefix(runtime, "Python") || strings.HasPrefix(runtime, "Nodejs") || strings.HasPrefix(runtime, "Php")
}

// MaxHandler is the longest handler the cloud API accepts.
const MaxHandler = 60

// IsHandler reports whether h is file.function (scf-behaviour.md 4.1,
// index.main_handler): the file part may hold folders and dots but no
// space and does not start with '.', the function part is a Python or
// JavaScript identifier.
func IsHandler(h string) bool {
	i := strings.LastIndexByte(h, '.')
	if i <= 0 || h[0] == '.' || strings.ContainsAny(h, " \t\r\n\v\f") {
		return false
	}
	fn := h[i+1:]
	if fn == "" || isDigit(rune(fn[0])) {
		return false
	}
	for _, c := range fn {
		if !isLetter(c) && !isDigit(c) && c != '_' && c != '$' {
			return false
		}
	}
	return true
}

// IsEnvKey reports whether k may name an environment variable: letters,
// digits and '_', starting with a letter.
func IsEnvKey(k string) bool {
	if k == "" || !isLetter(rune(k[0])) {
		return false
	}
	for _, c := range k {
		if !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

// reservedEnvPrefixes are the platform's own variables (scf-behaviour.md
// 4.2: SCF_*, and the QCLOUD_/TENCENTCLOUD_ credentials it injects).
var reservedEnvPrefixes = []string{"SCF_", "QCLOUD_", "TENCENTCLOUD_"}

// ReservedEnvPrefix returns the reserved prefix k starts with, or "".
func ReservedEnvPrefix(k string) string {
	for _, p := range reservedEnvPrefixes {
		if strings.HasPrefix(k, p) {
			return p
		}
	}
	return ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(rune(s[i])) {
			return false
		}
	}
	return true
}
