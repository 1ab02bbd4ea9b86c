package instance

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/scf-emulator/emulator/runtime"
)

// Values the emulator reports for the platform identity. They are fixed so
// that functions which print or branch on them behave the same every run.
const (
	scfRegion     = "ap-guangzhou"
	scfAppID      = "1250000000"
	scfUin        = "100000000001"
	scfServerPort = "28902"
)

// SCFEnv returns the environment SCF gives a function (scf-behaviour 4.2):
// the user's variables from spec.Env plus the platform's built-ins. codeRoot
// is where the function sees its code (the snapshot directory for the process
// runtime, /var/user for containers). Built-ins win over user variables of
// the same name, as the platform forbids setting them.
func SCFEnv(spec runtime.Spec, codeRoot string) map[string]string {
	env := make(map[string]string, len(spec.Env)+13)
	maps.Copy(env, spec.Env)
	env["SCF_FUNCTIONNAME"] = spec.Function
	env["SCF_FUNCTIONVERSION"] = spec.Version
	env["SCF_NAMESPACE"] = SpecNamespace(spec)
	env["SCF_RUNTIME"] = spec.Runtime
	env["TENCENTCLOUD_RUNENV"] = "SCF"
	env["USER_CODE_ROOT"] = codeRoot
	env["TENCENTCLOUD_REGION"] = scfRegion
	env["TENCENTCLOUD_APPID"] = scfAppID
	env["TENCENTCLOUD_UIN"] = scfUin
	env["TENCENTCLOUD_TZ"] = "UTC"
	env["_SCF_SERVER_PORT"] = scfServerPort
	env["_HANDLER"] = spec.Handler
	if spec.DebugPort > 0 {
		// Custom runtimes and web functions start their own debugger here.
		env["SCF_DEBUG_PORT"] = strconv.Itoa(spec.DebugPort)
	}
	return env
}

func SpecNamespace(spec runtime.Spec) string {
	if spec.Namespace == "" {
		return "default"
	}
	return spec.Namespace
}

// ContextEnvironment is the JSON text that context.environment (Python,
// Node) and InvokeRequest.Environment (Go1) carry: the user's variables plus
// SCF_NAMESPACE, as in the platform's documented example.
func ContextEnvironment(spec runtime.Spec) string {
	env := make(map[string]string, len(spec.Env)+1)
	maps.Copy(env, spec.Env)
	env["SCF_NAMESPACE"] = SpecNamespace(spec)
	b, _ := json.Marshal(env) // cannot fail: strings only
	return string(b)
}

// ProcessEnv builds the environment of a function process: selected host
// variables, then SCFEnv, then the runtime's plumbing (extra), which nothing
// may override because the instance would stop working.
func ProcessEnv(spec runtime.Spec, extra map[string]string) []string {
	env := make(map[string]string)
	// Only these host variables are inherited, so that the emulator's own
	// environment (credentials, proxies) never leaks into a function.
	for _, k := range [...]string{"PATH", "HOME", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	maps.Copy(env, SCFEnv(spec, spec.CodeDir))
	maps.Copy(env, LayerEnv(spec.Runtime, spec.CodeDir, spec.Layers))
	maps.Copy(env, extra)
	return EnvList(env)
}

// EnvList turns env into sorted KEY=value entries, leaving out keys that an
// environment block cannot hold.
func EnvList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			continue // not representable in an environment block
		}
		out = append(out, k+"="+env[k])
	}
	return out
}
