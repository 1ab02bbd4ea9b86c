package platform

import (
	"fmt"
	"unicode/utf8"
)

// The qualifiers every function has: $LATEST is the working copy and
// $DEFAULT the alias created with the function (scf-behaviour.md 2.1). No
// user-made name may start with '$'.
const (
	Latest  = "$LATEST"
	Default = "$DEFAULT"
)

// Name lengths.
const (
	MaxFunctionName = 60
	MaxAliasName    = 64
	MaxTriggerName  = 100
)

// nameRule is one of the platform's name grammars, all of them ASCII
// letters, digits, '-' and '_' with rules on the first and last character.
type nameRule struct {
	what       string // "function name", for messages
	max        int
	digitFirst bool // may start with a digit as well as a letter
	alnumLast  bool // may not end with '-' or '_'
	rule       string
}

// functionName is CreateFunction.FunctionName: letters, digits, '-' and
// '_', starting with a letter, not ending with '-' or '_', at most 60
// characters (tencent-cloud-api.md CreateFunction, whose SDK text reads
// "名称长度2-60 ... 最后一个字符不能为连接符或者下划线"; scf-behaviour.md 3.6
// "function name ≤60 chars"). The emulator accepts one letter too: the
// grayscale guide and emulator.yaml examples name a function B.
var functionName = nameRule{
	what: "function name", max: MaxFunctionName, alnumLast: true,
	rule: "1 to 60 letters, digits, '-' or '_', starting with a letter and not ending with '-' or '_'",
}

// aliasName is CreateAlias.Name as the API states it (scf-behaviour.md 2.2,
// decided in 10.6: ^[A-Za-z][A-Za-z0-9_-]{0,63}$); the console's stricter
// 2-60 rule is not applied.
var aliasName = nameRule{
	what: "alias name", max: MaxAliasName,
	rule: "1 to 64 letters, digits, '-' or '_', starting with a letter",
}

// triggerName is CreateTrigger.TriggerName for timer-like triggers: letters,
// digits, '-' and '_', at most 100 (tencent-cloud-api.md CreateTrigger; the
// SDK text "名称支持英文字母、数字、连接符和下划线，最长100个字符"). The API
// Gateway triggers the emulator runs use the same rule.
var triggerName = nameRule{
	what: "trigger name", max: MaxTriggerName, digitFirst: true,
	rule: "1 to 100 letters, digits, '-' or '_', starting with a letter or digit",
}

// CheckFunctionName returns nil when name is a valid function name, else an
// error that quotes the name, says what is wrong and states the rule.
func CheckFunctionName(name string) error { return functionName.check(name) }

// CheckAliasName returns nil when name is a valid name for a user-created
// alias, else an error that quotes the name and says what is wrong. Names
// starting with '$' ($DEFAULT, $LATEST) are the platform's and refused;
// callers that may set up $DEFAULT's routing test for it first.
func CheckAliasName(name string) error { return aliasName.check(name) }

// CheckTriggerName returns nil when name is a valid trigger name, else an
// error that quotes the name and says what is wrong.
func CheckTriggerName(name string) error { return triggerName.check(name) }

// IsAliasName reports whether name is a valid user-created alias name.
func IsAliasName(name string) bool { return aliasName.problem(name) == "" }

func (r nameRule) check(s string) error {
	if p := r.problem(s); p != "" {
		return fmt.Errorf("%s %q %s (%ss are %s)", r.what, s, p, r.what, r.rule)
	}
	return nil
}

// anASCII is the article for the letter c is not: a user who typed 函 or
// é knows it is a letter, and must be told that only ASCII ones count.
func anASCII(c rune) string {
	if c >= utf8.RuneSelf {
		return "an ASCII "
	}
	return "a "
}

// problem says what is wrong with s, or "" when nothing is. It allocates
// only when s is invalid.
func (r nameRule) problem(s string) string {
	if s == "" {
		return "is empty"
	}
	if n := utf8.RuneCountInString(s); n > r.max {
		return fmt.Sprintf("has %d characters, more than %d", n, r.max)
	}
	c, _ := utf8.DecodeRuneInString(s)
	switch {
	case c == '$':
		return "starts with '$', which is reserved for the platform's names ($DEFAULT, $LATEST)"
	case !isLetter(c) && !(r.digitFirst && isDigit(c)):
		if r.digitFirst {
			return fmt.Sprintf("starts with %q, not %sletter or digit", c, anASCII(c))
		}
		return fmt.Sprintf("starts with %q, not %sletter", c, anASCII(c))
	}
	for _, c := range s {
		if !isLetter(c) && !isDigit(c) && c != '-' && c != '_' {
			return fmt.Sprintf("holds %q, which is not %sletter, digit, '-' or '_'", c, anASCII(c))
		}
	}
	if last := s[len(s)-1]; r.alnumLast && (last == '-' || last == '_') {
		return fmt.Sprintf("ends with '%c'", last)
	}
	return ""
}

// isLetter and isDigit are ASCII only: the platform's names are.
func isLetter(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c rune) bool  { return c >= '0' && c <= '9' }

// IsVersion reports whether s names a published version: a positive decimal
// number without leading zeros ("1", "2", ...; scf-behaviour.md 1.2 returns
// FunctionVersion as such a string). $LATEST is not a published version.
func IsVersion(s string) bool {
	if s == "" || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// QualifierKind says what a qualifier names.
type QualifierKind int

// The kinds of qualifier.
const (
	QualifierInvalid QualifierKind = iota
	QualifierLatest                // $LATEST
	QualifierVersion               // a published version number
	QualifierAlias                 // $DEFAULT or a user alias
)

// Qualifier tells what q names: $LATEST, a version number, an alias
// ($DEFAULT included) or nothing valid (scf-behaviour.md 3.1: a Qualifier is
// a version or an alias).
func Qualifier(q string) QualifierKind {
	switch {
	case q == Latest:
		return QualifierLatest
	case IsVersion(q):
		return QualifierVersion
	case q == Default || IsAliasName(q):
		return QualifierAlias
	}
	return QualifierInvalid
}
