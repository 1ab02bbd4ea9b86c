package api

import (
	"strings"
	"unicode/utf8"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/platform"
	"github.com/scf-emulator/emulator/registry"
)

// Limits of the cloud API the platform package leaves to it.
const (
	maxInitTimeout = 300
	maxDescription = 1000 // characters
)

// The names and bounds (function names, runtimes, handlers, environment
// variables, memory, timeout) are package platform's, shared with
// emulator.yaml and the registry; only the error codes are the API's.

func checkFunctionName(name string) error {
	if err := platform.CheckFunctionName(name); err != nil {
		return newError(codeBadFunctionName, "invalid FunctionName: %v", err)
	}
	return nil
}

func checkRuntime(rt string) error {
	if msg := platform.RetiredRuntime(rt); msg != "" {
		return newError(codeBadRuntime, "Runtime %q: %s", rt, msg)
	}
	if !platform.IsRuntime(rt) {
		return newError(codeBadRuntime, "Runtime %q is not one the emulator runs (supported: %s)", rt, platform.SupportedRuntimes())
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
	case platform.NeedsHandler(runtime):
		return "index.main_handler"
	}
	return "bootstrap"
}

// checkHandler applies the handler rules for the function's runtime and type.
func checkHandler(h, runtime, typ string) error {
	if len(h) > platform.MaxHandler || strings.ContainsAny(h, " \t\r\n") {
		return newError(codeBadHandler, "Handler %q must be at most %d characters without spaces", h, platform.MaxHandler)
	}
	if typ == registry.TypeEvent && platform.NeedsHandler(runtime) && !platform.IsHandler(h) {
		return newError(codeBadHandler, "Handler %q is not of the form file.function (e.g. index.main_handler), which %s event functions need", h, runtime)
	}
	return nil
}

func checkMemorySize(m int64) error {
	if m > platform.MaxMemorySize && m%platform.MemoryStep == 0 {
		return newError(codeMemoryLimit, "MemorySize %d MB is over the %d MB limit", m, platform.MaxMemorySize)
	}
	if !platform.IsMemorySize(m) {
		return newError(codeBadMemorySize, "MemorySize %d must be %d or a multiple of %d from %d to %d (MB)", m, platform.MinMemorySize, platform.MemoryStep, platform.MemoryStep, platform.MaxMemorySize)
	}
	return nil
}

func checkTimeout(t int64) error {
	if t > platform.MaxTimeout {
		return newError(codeTimeoutLimit, "Timeout %d s is over the %d s limit", t, platform.MaxTimeout)
	}
	if !platform.IsTimeout(t) {
		return newError(codeBadValue, "Timeout %d must be 1 to %d seconds", t, platform.MaxTimeout)
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
		case !platform.IsEnvKey(k):
			return nil, newError(codeBadEnvironment, "environment variable %q must be letters, digits and '_', starting with a letter", k)
		case platform.ReservedEnvPrefix(k) != "":
			return nil, newError(codeEnvReserved, "environment variable %q uses the prefix %s, which is reserved for the platform", k, platform.ReservedEnvPrefix(k))
		}
		if _, dup := vars[k]; dup {
			return nil, newError(codeBadEnvironment, "environment variable %q is given twice", k)
		}
		vars[k] = str(v.Value)
		size += len(k) + len(str(v.Value))
	}
	if size > platform.MaxEnvironment {
		return nil, newError(codeEnvTooLarge, "environment variables take %d bytes; the limit is %d", size, platform.MaxEnvironment)
	}
	return vars, nil
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
