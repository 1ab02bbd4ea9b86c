package platform

import (
	"strings"
	"testing"
)

func TestCheckFunctionName(t *testing.T) {
	tests := []struct {
		name, in string
		problem  string // "" = valid; else a substring of the error
	}{
		{"one letter", "B", ""},
		{"two letters", "ab", ""},
		{"letters digits dash underscore", "my-func_2", ""},
		{"upper case", "HelloWorld", ""},
		{"60 characters", "a" + strings.Repeat("b", 59), ""},
		{"ends with a digit", "f1", ""},
		{"empty", "", "is empty"},
		{"61 characters", "a" + strings.Repeat("b", 60), "has 61 characters, more than 60"},
		{"64 characters", "a" + strings.Repeat("b", 63), "has 64 characters, more than 60"},
		{"65 characters", "a" + strings.Repeat("b", 64), "has 65 characters, more than 60"},
		{"trailing dash", "func-", "ends with '-'"},
		{"trailing underscore", "func_", "ends with '_'"},
		{"60 with trailing dash", strings.Repeat("a", 59) + "-", "ends with '-'"},
		{"leading digit", "1func", "starts with '1', not a letter"},
		{"leading dash", "-func", "starts with '-', not a letter"},
		{"leading underscore", "_func", "starts with '_', not a letter"},
		{"dollar", "$LATEST", "reserved"},
		{"dot", "a.b", "holds '.'"},
		{"space", "a b", "holds ' '"},
		{"slash", "a/b", "holds '/'"},
		{"unicode letter", "fünf", "holds 'ü'"},
		{"unicode first", "éa", "starts with 'é', not an ASCII letter"},
		{"unicode inside", "a函", "holds '函', which is not an ASCII letter, digit, '-' or '_'"},
		{"cjk", "函数", "starts with '函'"},
		{"unicode counted in characters", "a" + strings.Repeat("é", 60), "has 61 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckFunctionName(tt.in)
			checkProblem(t, err, tt.problem)
			if err != nil && !strings.Contains(err.Error(), "function name") {
				t.Errorf("error %q does not say what was checked", err)
			}
		})
	}
}

func TestCheckAliasName(t *testing.T) {
	tests := []struct {
		name, in string
		problem  string
	}{
		{"one letter", "a", ""},
		{"typical", "prod", ""},
		{"trailing dash allowed", "canary-", ""},
		{"trailing underscore allowed", "canary_", ""},
		{"60 characters", "a" + strings.Repeat("b", 59), ""},
		{"61 characters", "a" + strings.Repeat("b", 60), ""},
		{"64 characters", "a" + strings.Repeat("b", 63), ""},
		{"65 characters", "a" + strings.Repeat("b", 64), "has 65 characters, more than 64"},
		{"empty", "", "is empty"},
		{"leading digit", "1prod", "starts with '1', not a letter"},
		{"all digits", "2", "starts with '2'"},
		{"$DEFAULT reserved", "$DEFAULT", "reserved"},
		{"$LATEST reserved", "$LATEST", "reserved"},
		{"$ anything reserved", "$mine", "reserved"},
		{"dot", "v1.2", "holds '.'"},
		{"unicode", "prodé", "holds 'é'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAliasName(tt.in)
			checkProblem(t, err, tt.problem)
			if got := IsAliasName(tt.in); got != (tt.problem == "") {
				t.Errorf("IsAliasName(%q) = %v, CheckAliasName says %v", tt.in, got, err)
			}
		})
	}
}

func TestCheckTriggerName(t *testing.T) {
	tests := []struct {
		name, in string
		problem  string
	}{
		{"one letter", "t", ""},
		{"leading digit allowed", "1tick", ""},
		{"all digits", "123", ""},
		{"trailing dash allowed", "tick-", ""},
		{"100 characters", strings.Repeat("t", 100), ""},
		{"101 characters", strings.Repeat("t", 101), "has 101 characters, more than 100"},
		{"empty", "", "is empty"},
		{"leading dash", "-tick", "starts with '-', not a letter or digit"},
		{"dollar", "$tick", "reserved"},
		{"dot", "a.b", "holds '.'"},
		{"unicode", "tické", "holds 'é'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblem(t, CheckTriggerName(tt.in), tt.problem)
		})
	}
}

func TestQualifier(t *testing.T) {
	tests := []struct {
		in   string
		want QualifierKind
	}{
		{"$LATEST", QualifierLatest},
		{"$DEFAULT", QualifierAlias},
		{"1", QualifierVersion},
		{"42", QualifierVersion},
		{"9223372036854775808", QualifierVersion}, // a number, however large
		{"prod", QualifierAlias},
		{"canary-", QualifierAlias},
		{"0", QualifierInvalid},
		{"01", QualifierInvalid},
		{"-1", QualifierInvalid},
		{"1.0", QualifierInvalid},
		{"$latest", QualifierInvalid},
		{"$OTHER", QualifierInvalid},
		{"", QualifierInvalid},
		{"1a", QualifierInvalid},
		{"a" + strings.Repeat("b", 64), QualifierInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Qualifier(tt.in); got != tt.want {
				t.Errorf("Qualifier(%q) = %d, want %d", tt.in, got, tt.want)
			}
			if got := IsVersion(tt.in); got != (tt.want == QualifierVersion) {
				t.Errorf("IsVersion(%q) = %v", tt.in, got)
			}
		})
	}
}

// checkProblem fails unless err is nil when problem is "", and otherwise an
// error holding problem.
func checkProblem(t *testing.T, err error, problem string) {
	t.Helper()
	switch {
	case problem == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case problem != "" && err == nil:
		t.Fatalf("no error, want one with %q", problem)
	case problem != "" && !strings.Contains(err.Error(), problem):
		t.Fatalf("error %q does not hold %q", err, problem)
	}
}
