package api

import (
	"context"
	"strings"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

// imageRuntime is the runtime of an image function: the image brings its own
// interpreter, so the platform lists it as a custom runtime.
const imageRuntime = "CustomRuntime"

// imagePort is the one ImagePort the emulator serves: the image's server
// listens on 9000. The platform's -1 (a job image without a server) has no
// request path to run it on.
const imagePort = 9000

// imageConfigIn reads Code.ImageConfig: nil when the code is a zip. The image
// must be present in the local Docker engine (or pullable) when the function
// first runs; the registry fields only matter to the cloud's registries and
// are checked for shape, so a request that the platform refuses is refused
// here too.
func imageConfigIn(c *scf.Code) (*registry.ImageConfig, error) {
	if c == nil || c.ImageConfig == nil {
		return nil, nil
	}
	ic := c.ImageConfig
	if str(c.ZipFile) != "" {
		return nil, newError(codeBadCode, "Code gives both ZipFile and ImageConfig: an image function's code is its image")
	}
	uri := str(ic.ImageUri)
	if uri == "" {
		return nil, newError(codeBadCode, "Code.ImageConfig.ImageUri is required: the image that is the function's code ({domain}/{namespace}/{imageName}:{tag}, or a local image name)")
	}
	if err := checkImageURI(uri); err != nil {
		return nil, err
	}
	switch t := str(ic.ImageType); t {
	case "", "personal":
	case "enterprise":
		if str(ic.RegistryId) == "" {
			return nil, newError(codeBadCode, "Code.ImageConfig.RegistryId is required when ImageType is enterprise")
		}
	default:
		return nil, newError(codeBadCode, "Code.ImageConfig.ImageType %q is not personal or enterprise", t)
	}
	if p := ic.ImagePort; p != nil && *p != imagePort {
		return nil, newError(codeBadCode, "Code.ImageConfig.ImagePort %d is not supported by the emulator: the image's server listens on %d (job images, -1, are not run)", *p, imagePort)
	}
	// EntryPoint is the platform's retired name of Command.
	cmd, entry := str(ic.Command), str(ic.EntryPoint)
	if cmd != "" && entry != "" && cmd != entry {
		return nil, newError(codeBadCode, "Code.ImageConfig gives EntryPoint %q and Command %q: EntryPoint is the retired name of Command, give one", entry, cmd)
	}
	if cmd == "" {
		cmd = entry
	}
	return &registry.ImageConfig{ImageURI: uri, Command: cmd, Args: str(ic.Args)}, nil
}

// checkImageURI applies the shape of a Docker image reference: no spaces, a
// lowercase repository path, an optional :tag and @digest.
func checkImageURI(uri string) error {
	bad := func(why string) error {
		return newError(codeBadCode, "Code.ImageConfig.ImageUri %q is not an image reference: %s", uri, why)
	}
	if len(uri) > 512 || strings.ContainsAny(uri, " \t\r\n") {
		return bad("it must be at most 512 characters without spaces")
	}
	repo, _, _ := strings.Cut(uri, "@")
	// A ':' after the last '/' starts the tag; before it, it is a registry port.
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		if repo[i+1:] == "" {
			return bad("the tag after ':' is empty")
		}
		repo = repo[:i]
	}
	if repo == "" || strings.HasPrefix(repo, "/") || strings.HasSuffix(repo, "/") || strings.Contains(repo, "//") {
		return bad("the repository path is empty or has an empty element")
	}
	path := repo
	if first, rest, ok := strings.Cut(repo, "/"); ok && strings.ContainsAny(first, ".:") {
		path = rest // the registry host may have capitals and a port
	}
	if path != strings.ToLower(path) {
		return bad("repository names are lowercase")
	}
	return nil
}

// imageConfigOut is ImageConfig in GetFunction's shape; nil for a code
// function, as the platform leaves it null.
func imageConfigOut(ic *registry.ImageConfig) *scf.ImageConfig {
	if ic == nil {
		return nil
	}
	return &scf.ImageConfig{
		ImageType: ptr("personal"), ImageUri: ptr(ic.ImageURI), RegistryId: ptr(""),
		Command: ptr(ic.Command), Args: ptr(ic.Args), ImagePort: ptr(int64(imagePort)),
		ContainerImageAccelerate: ptr(false),
	}
}

// emptyCode is the FillFunc of an image function: the image is the code, so
// its managed source folder stays empty.
func emptyCode(string) error { return nil }

// updateImage is UpdateFunctionCode for an image function: the new image
// (and command) is a configuration change of $LATEST. A function keeps its
// kind: zip code for an image function, or an image for a code function,
// is refused, as the platform refuses it.
func (s *Server) updateImage(ctx context.Context, name string, f registry.Function, image *registry.ImageConfig, zip string, publish bool) (any, error) {
	switch {
	case f.Config.ImageConfig == nil:
		return nil, newError(codeUpdateCode, "function %s runs zip code: Code.ImageConfig applies only to a function created as an image function", registry.NameOf(f.Name))
	case image == nil || zip != "":
		return nil, newError(codeUpdateCode, "function %s is an image function: send its new image in Code.ImageConfig, not a zip", registry.NameOf(f.Name))
	}
	cfg := f.Config
	cfg.ImageConfig = image
	if _, err := s.backend.UpdateConfig(ctx, name, cfg); err != nil {
		return nil, err
	}
	return s.publishIf(ctx, name, publish)
}
