package docker

import (
	"strings"

	"github.com/scf-emulator/emulator/runtime"
)

// imagePlan is how an image function runs: the image's entrypoint and
// command, or ImageConfig's Command (the entrypoint) and Args (the
// command), with its server on port 9000 (PORT says
// so too). An event function takes POST /event-invoke there, a web function
// any request. The container is hardened as every other (read-only root,
// /tmp writable) and gets no /var/lang: the image brings its interpreters.
func imagePlan(spec runtime.Spec) launchPlan {
	ic := spec.ImageConfig
	proto := protoImage
	if strings.EqualFold(spec.Type, "http") {
		proto = protoWeb
	}
	return launchPlan{proto: proto, entrypoint: fieldsOrNil(ic.Command), cmd: fieldsOrNil(ic.Args), env: map[string]string{"PORT": containerPort}}
}

// fieldsOrNil splits s at spaces; nil for none, since an empty list would
// clear the image's entrypoint or command rather than keep it.
func fieldsOrNil(s string) []string {
	if f := strings.Fields(s); len(f) > 0 {
		return f
	}
	return nil
}
