package api

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

// Configuration limits and defaults of the platform (CreateFunction's
// parameter documentation), which emulator.yaml applies too.
const (
	defaultMemorySize = 128
	maxMemorySize     = 3072
	defaultTimeout    = 3
	maxTimeout        = 900
	maxInitTimeout    = 300
	maxEnvironment    = 4096 // bytes: the sum of len(key)+len(value)
	maxDescription    = 1000 // characters
)

// Runtimes the emulator runs, by their SCF names; Node.js versions are
// checked by nodeRuntimeRE. The same list as emulator.yaml accepts.
var (
	fixedRuntimes = []string{
		"Python3.6", "Python3.7", "Python3.9", "Python3.10", "Python3.11", "Python3.12",
		"Go1", "CustomRuntime",
	}
	nodeRuntimeRE = regexp.MustCompile(`^Nodejs(1[0-9]|2[0-2])\.[0-9]+$`)

	// functionNameRE is the platform's rule (letters, digits, '-' and '_',
	// starting with a letter, not ending with '-' or '_', at most 60) except
	// that one letter is enough, as in emulator.yaml and the grayscale
	// guide's function B; the platform asks for at least 2.
	functionNameRE = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9_-]{0,58}[A-Za-z0-9])?$`)
	// handlerRE is file.function for Python and Node.js event functions.
	handlerRE = regexp.MustCompile(`^[^\s.][^\s]*\.[A-Za-z_$][A-Za-z0-9_$]*$`)
	envKeyRE  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*$`)

	reservedEnvPrefixes = []string{"SCF_", "QCLOUD_", "TENCENTCLOUD_"}
)

const supportedRuntimes = "Python3.6, Python3.7, Python3.9, Python3.10, Python3.11, Python3.12, " +
	"Nodejs<major>.<minor> for majors 10-22 (e.g. Nodejs16.13, Nodejs18.15), Go1, CustomRuntime"

func validRuntime(name string) bool {
	return slices.Contains(fixedRuntimes, name) || nodeRuntimeRE.MatchString(name)
}

// needsHandler reports whether an event function of runtime names its
// entry point as file.function.
func needsHandler(runtime string) bool {
	return strings.HasPrefix(runtime, "Python") || strings.HasPrefix(runtime, "Nodejs")
}

func checkFunctionName(name string) error {
	if !functionNameRE.MatchString(name) {
		return newError(codeBadFunctionName, "FunctionName %q must be 1 to 60 letters, digits, '-' or '_', start with a letter and not end with '-' or '_'", name)
	}
	return nil
}

func checkRuntime(rt string) error {
	if !validRuntime(rt) {
		return newError(codeBadRuntime, "Runtime %q is not one the emulator runs (supported: %s)", rt, supportedRuntimes)
	}
	return nil
}

// parseType maps the wire's Type to the registry's; "" means Event.
func parseType(t *string) (string, error) {
	switch str(t) {
	case "", "Event":
		return registry.TypeEvent, nil
	case "HTTP":
		return registry.TypeHTTP, nil
	}
	return "", newError(codeBadType, "Type must be Event or HTTP, got %q", str(t))
}

// defaultHandler is the handler a function gets when the caller sends none.
func defaultHandler(runtime, typ string) string {
	switch {
	case typ == registry.TypeHTTP:
		return "scf_bootstrap"
	case runtime == "Go1":
		return "main"
	case needsHandler(runtime):
		return "index.main_handler"
	}
	return "bootstrap"
}

// checkHandler applies the handler rules for the function's runtime and type.
func checkHandler(h, runtime, typ string) error {
	if len(h) > 60 || strings.ContainsAny(h, " \t\r\n") {
		return newError(codeBadHandler, "Handler %q must be at most 60 characters without spaces", h)
	}
	if typ == registry.TypeEvent && needsHandler(runtime) && !handlerRE.MatchString(h) {
		return newError(codeBadHandler, "Handler %q is not of the form file.function (e.g. index.main_handler), which %s event functions need", h, runtime)
	}
	return nil
}

func checkMemorySize(m int64) error {
	if m > maxMemorySize && m%128 == 0 {
		return newError(codeMemoryLimit, "MemorySize %d MB is over the %d MB limit", m, maxMemorySize)
	}
	if m != 64 && (m < 128 || m > maxMemorySize || m%128 != 0) {
		return newError(codeBadMemorySize, "MemorySize %d must be 64 or a multiple of 128 from 128 to %d (MB)", m, maxMemorySize)
	}
	return nil
}

func checkTimeout(t int64) error {
	if t > maxTimeout {
		return newError(codeTimeoutLimit, "Timeout %d s is over the %d s limit", t, maxTimeout)
	}
	if t < 1 {
		return newError(codeBadValue, "Timeout %d must be 1 to %d seconds", t, maxTimeout)
	}
	return nil
}

func checkInitTimeout(t *int64) error {
	if t == nil {
		return nil
	}
	if *t > maxInitTimeout {
		return newError(codeInitTimeoutLimit, "InitTimeout %d s is over the %d s limit", *t, maxInitTimeout)
	}
	if *t < 1 {
		return newError(codeBadValue, "InitTimeout %d must be 1 to %d seconds", *t, maxInitTimeout)
	}
	return nil
}

func checkDescription(d string) error {
	if n := utf8.RuneCountInString(d); n > maxDescription {
		return newError(codeBadDescription, "Description has %d characters; the limit is %d", n, maxDescription)
	}
	return nil
}

// parseEnvironment validates Environment.Variables; nil or no variables is
// an empty environment.
func parseEnvironment(env *scf.Environment) (map[string]string, error) {
	if env == nil || len(env.Variables) == 0 {
		return nil, nil
	}
	vars := make(map[string]string, len(env.Variables))
	size := 0
	for i, v := range env.Variables {
		if v == nil || str(v.Key) == "" {
			return nil, newError(codeBadEnvironment, "Environment.Variables[%d] has no Key", i)
		}
		k := *v.Key
		switch {
		case !envKeyRE.MatchString(k):
			return nil, newError(codeBadEnvironment, "environment variable %q must be letters, digits and '_', starting with a letter", k)
		case reservedPrefix(k) != "":
			return nil, newError(codeEnvReserved, "environment variable %q uses the prefix %s, which is reserved for the platform", k, reservedPrefix(k))
		}
		if _, dup := vars[k]; dup {
			return nil, newError(codeBadEnvironment, "environment variable %q is given twice", k)
		}
		vars[k] = str(v.Value)
		size += len(k) + len(str(v.Value))
	}
	if size > maxEnvironment {
		return nil, newError(codeEnvTooLarge, "environment variables take %d bytes; the limit is %d", size, maxEnvironment)
	}
	return vars, nil
}

func reservedPrefix(key string) string {
	for _, p := range reservedEnvPrefixes {
		if strings.HasPrefix(key, p) {
			return p
		}
	}
	return ""
}

// parseFlag reads a "TRUE"/"FALSE" string parameter; "" is false.
func parseFlag(name string, v *string) (bool, error) {
	switch strings.ToUpper(str(v)) {
	case "", "FALSE":
		return false, nil
	case "TRUE":
		return true, nil
	}
	return false, newError(codeBadValue, "%s must be TRUE or FALSE, got %q", name, str(v))
}

// checkNoLayers refuses layers: code the emulator does not have would be
// missing when the function runs.
func checkNoLayers(layers []*scf.LayerVersionSimple) error {
	if len(layers) > 0 {
		return newError(codeUnsupportedOperation, "Layers are not supported by the emulator: put the layer's files into the code package")
	}
	return nil
}
