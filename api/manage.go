package api

import (
	"context"
	"errors"
	"maps"
	"strings"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/platform"
	"github.com/scf-emulator/emulator/registry"
)

// createFunction creates a function whose $LATEST is the uploaded zip. It is
// Active at once: the code is unpacked and snapshotted before the answer.
// Parameters for cloud resources the emulator has no notion of (VPC, role,
// CLS, tags, CFS, dead-letter queue, public network, ...) are accepted and
// ignored; COS or Git code is refused, since the function would run
// without code it needs. With Code.ImageConfig the image is the code (an
// image function, run by the Docker runtime).
func (s *Server) createFunction(ctx context.Context, c *call) (any, error) {
	var p scf.CreateFunctionRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	if err := checkFunctionName(c.name); err != nil {
		return nil, err
	}
	image, err := imageConfigIn(p.Code)
	if err != nil {
		return nil, err
	}
	if image != nil {
		switch str(p.Runtime) {
		case "":
			p.Runtime = ptr(imageRuntime)
		case imageRuntime:
		default:
			return nil, newError(codeBadRuntime, "Runtime %q with Code.ImageConfig: an image function brings its own interpreter, its runtime is %s", *p.Runtime, imageRuntime)
		}
	}
	if str(p.Runtime) == "" {
		return nil, newError(codeMissingRuntime, "Runtime is required (supported: %s)", platform.SupportedRuntimes())
	}
	cfg := registry.FunctionConfig{
		Runtime: *p.Runtime, Handler: str(p.Handler), Description: str(p.Description),
		MemorySize: platform.DefaultMemorySize, Timeout: platform.DefaultTimeout,
		ImageConfig: image,
	}
	if cfg.Type, err = parseType(p.Type); err != nil {
		return nil, err
	}
	if err := checkRuntime(cfg.Runtime); err != nil {
		return nil, err
	}
	if cfg.Handler == "" {
		cfg.Handler = defaultHandler(cfg.Runtime, cfg.Type)
	}
	if err := checkHandler(cfg.Handler, cfg.Runtime, cfg.Type); err != nil {
		return nil, err
	}
	if p.MemorySize != nil {
		if err := checkMemorySize(*p.MemorySize); err != nil {
			return nil, err
		}
		cfg.MemorySize = int(*p.MemorySize)
	}
	if p.Timeout != nil {
		if err := checkTimeout(*p.Timeout); err != nil {
			return nil, err
		}
		cfg.Timeout = int(*p.Timeout)
	}
	if err := checkInitTimeout(p.InitTimeout); err != nil {
		return nil, err
	}
	if cfg.Concurrency, err = instanceConcurrency(p.InstanceConcurrencyConfig, cfg.Type, 0); err != nil {
		return nil, err
	}
	if err := checkDescription(cfg.Description); err != nil {
		return nil, err
	}
	if cfg.Environment, err = parseEnvironment(p.Environment); err != nil {
		return nil, err
	}
	if cfg.Layers, err = s.layerRefs(p.Layers); err != nil {
		return nil, err
	}
	if strings.EqualFold(str(p.ProtocolType), "WS") {
		return nil, newError(codeUnsupportedOperation, "ProtocolType WS (WebSockets) is not supported by the emulator")
	}
	if _, err := s.backend.Function(c.function); err == nil {
		return nil, newError(codeFunctionInUse, "function %s already exists", c.function)
	}
	fill := emptyCode
	if image == nil {
		data, err := zipParams{field: "Code.ZipFile", code: p.Code, codeSource: p.CodeSource}.archive()
		if err != nil {
			return nil, err
		}
		fill = unzipInto(ctx, data)
	}
	spec := registry.FunctionSpec{Name: c.name, Namespace: c.namespace, Config: cfg}
	if err := s.backend.Create(ctx, spec, fill); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// updateFunctionCode replaces $LATEST's code, and its handler when given.
// With Publish TRUE it then publishes a version, as PublishVersion would.
func (s *Server) updateFunctionCode(ctx context.Context, c *call) (any, error) {
	var p scf.UpdateFunctionCodeRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	publish, err := parseFlag("Publish", p.Publish)
	if err != nil {
		return nil, err
	}
	f, err := s.backend.Function(c.function)
	if err != nil {
		return nil, err
	}
	handler := str(p.Handler)
	if handler != "" {
		if err := checkHandler(handler, f.Config.Runtime, f.Config.Type); err != nil {
			return nil, err
		}
	}
	image, err := imageConfigIn(p.Code)
	if err != nil {
		return nil, err
	}
	if image != nil || f.Config.ImageConfig != nil {
		return s.updateImage(ctx, c.function, f, image, str(p.ZipFile), publish)
	}
	data, err := zipParams{field: "ZipFile", zip: p.ZipFile, code: p.Code, codeSource: p.CodeSource}.archive()
	if err != nil {
		return nil, err
	}
	if _, err := s.backend.UpdateCode(ctx, c.function, unzipInto(ctx, data), handler); err != nil {
		return nil, err
	}
	return s.publishIf(ctx, c.function, publish)
}

// updateFunctionConfiguration changes $LATEST's configuration. Omitted
// parameters keep their value; an Environment replaces all variables. As in
// createFunction, cloud-resource parameters are accepted and ignored.
func (s *Server) updateFunctionConfiguration(ctx context.Context, c *call) (any, error) {
	var p scf.UpdateFunctionConfigurationRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	publish, err := parseFlag("Publish", p.Publish)
	if err != nil {
		return nil, err
	}
	layers, err := s.layerRefs(p.Layers)
	if err != nil {
		return nil, err
	}
	if err := checkInitTimeout(p.InitTimeout); err != nil {
		return nil, err
	}
	f, err := s.backend.Function(c.function)
	if err != nil {
		return nil, err
	}
	cfg := f.Config
	cfg.Environment = maps.Clone(cfg.Environment)
	if p.Layers != nil {
		cfg.Layers = layers
	}
	if p.Runtime != nil {
		if err := checkRuntime(*p.Runtime); err != nil {
			return nil, err
		}
		cfg.Runtime = *p.Runtime
		if err := checkHandler(cfg.Handler, cfg.Runtime, cfg.Type); err != nil {
			if e, ok := errors.AsType[*apiError](err); ok {
				e.Message += "; change the handler with UpdateFunctionCode first"
			}
			return nil, err
		}
	}
	if p.MemorySize != nil {
		if err := checkMemorySize(*p.MemorySize); err != nil {
			return nil, err
		}
		cfg.MemorySize = int(*p.MemorySize)
	}
	if p.Timeout != nil {
		if err := checkTimeout(*p.Timeout); err != nil {
			return nil, err
		}
		cfg.Timeout = int(*p.Timeout)
	}
	if p.Description != nil {
		if err := checkDescription(*p.Description); err != nil {
			return nil, err
		}
		cfg.Description = *p.Description
	}
	if p.Environment != nil {
		if cfg.Environment, err = parseEnvironment(p.Environment); err != nil {
			return nil, err
		}
	}
	if cfg.Concurrency, err = instanceConcurrency(p.InstanceConcurrencyConfig, cfg.Type, cfg.Concurrency); err != nil {
		return nil, err
	}
	if _, err := s.backend.UpdateConfig(ctx, c.function, cfg); err != nil {
		return nil, err
	}
	return s.publishIf(ctx, c.function, publish)
}

// deleteFunction deletes one version (with Qualifier, by the rules of
// DeleteFunctionVersion) or the whole function: versions, aliases, triggers
// and the code the emulator stored for it. A function from emulator.yaml is
// defined again at the next start.
func (s *Server) deleteFunction(ctx context.Context, c *call) (any, error) {
	var p scf.DeleteFunctionRequestParams
	if err := decode(c.body, &p); err != nil {
		return nil, err
	}
	if err := c.check(p.FunctionName, p.Namespace); err != nil {
		return nil, err
	}
	if q := str(p.Qualifier); q != "" {
		if err := s.backend.DeleteVersion(c.function, q); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}
	if err := s.backend.Delete(ctx, c.function); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// publishIf publishes a version after an update that asked for it
// (Publish: "TRUE"), and gives the action's empty answer.
func (s *Server) publishIf(ctx context.Context, function string, publish bool) (any, error) {
	if publish {
		if _, err := s.backend.Publish(ctx, function, ""); err != nil {
			return nil, err
		}
	}
	return struct{}{}, nil
}
