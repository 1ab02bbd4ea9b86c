// Package engine joins the registry (which version should run) to the runtime
// manager (where it runs). It turns a function and a routed version into a
// runtime.Spec, invokes event functions, lends web-function instances to the
// gateway, and retires instances whose code is gone: an old $LATEST after a hot
// reload, or a deleted version.
package engine
