package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// Images the docker runtime falls back on. `emulator images --build` (see
// BuildImages) builds both without a registry; the runtime also creates
// StaticRuntimeImage itself when it is missing, since that needs nothing
// but a tar stream.
const (
	// DebianRuntimeImage has python3, node, php, bash and curl: the default
	// of CustomRuntime functions and of dynamically linked Go1 binaries, and
	// the stand-in for a missing default Python, Node.js or PHP image.
	DebianRuntimeImage = "scf-emulator/debian-runtime:bookworm"
	// StaticRuntimeImage is an empty file system with CA certificates and
	// /tmp: the default of Go1 functions (static binaries).
	StaticRuntimeImage = "scf-emulator/static:latest"
)

// imageEnvPrefix starts the environment variables ImagesFromEnv reads.
const imageEnvPrefix = "SCF_EMULATOR_IMAGE_"

// runtimeFamily returns "python", "nodejs", "php", "go1" or "customruntime"
// for an SCF runtime name, "" for others.
func runtimeFamily(rt string) string {
	rt = strings.ToLower(rt)
	for _, f := range [...]string{"python", "nodejs", "php", "go1", "customruntime"} {
		if strings.HasPrefix(rt, f) {
			return f
		}
	}
	return ""
}

var (
	pythonVersion = regexp.MustCompile(`^(?i)python(\d+(?:\.\d+)?)$`)
	nodeVersion   = regexp.MustCompile(`^(?i)nodejs(\d+)(?:\.\d+)*$`)
	phpVersion    = regexp.MustCompile(`^(?i)php(\d+\.\d+)$`)
)

// DefaultImage returns the image a runtime uses unless configured otherwise:
// python:<X.Y>-slim for PythonX.Y, node:<major>-slim for Nodejs<major>.x,
// php:<X.Y>-cli for PhpX.Y, StaticRuntimeImage for Go1 and DebianRuntimeImage for CustomRuntime. It
// returns "" for runtimes the emulator cannot run.
func DefaultImage(runtime string) string {
	if m := pythonVersion.FindStringSubmatch(runtime); m != nil {
		return "python:" + m[1] + "-slim"
	}
	if m := nodeVersion.FindStringSubmatch(runtime); m != nil {
		return "node:" + m[1] + "-slim"
	}
	if m := phpVersion.FindStringSubmatch(runtime); m != nil {
		return "php:" + m[1] + "-cli"
	}
	switch strings.ToLower(runtime) {
	case "go1":
		return StaticRuntimeImage
	case "customruntime":
		return DebianRuntimeImage
	}
	return ""
}

// ImagesFromEnv returns the image overrides set in environ (as from
// os.Environ) by variables SCF_EMULATOR_IMAGE_<KEY>=<image>. KEY is a
// family (PYTHON, NODEJS, PHP, GO1, CUSTOMRUNTIME) or an exact runtime name with
// "." written "_" (PYTHON3_9, NODEJS16_13). The result suits
// DockerOptions.Images.
func ImagesFromEnv(environ []string) map[string]string {
	out := make(map[string]string)
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" || !strings.HasPrefix(k, imageEnvPrefix) {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(k, imageEnvPrefix))
		if key == "" {
			continue
		}
		out[strings.ReplaceAll(key, "_", ".")] = v
	}
	return out
}

// ParseImageOverride parses one `--image RUNTIME=IMAGE` value, where
// RUNTIME is a runtime name (Python3.9) or family (python, nodejs, php, go1,
// customruntime).
func ParseImageOverride(s string) (runtime, image string, err error) {
	runtime, image, ok := strings.Cut(s, "=")
	runtime, image = strings.TrimSpace(runtime), strings.TrimSpace(image)
	if !ok || runtime == "" || image == "" {
		return "", "", fmt.Errorf("image override %q is not RUNTIME=IMAGE (e.g. python=python:3.9-slim)", s)
	}
	if runtimeFamily(runtime) == "" {
		return "", "", fmt.Errorf("image override %q: runtime %q is not Python, Nodejs, Php, Go1 or CustomRuntime", s, runtime)
	}
	return runtime, image, nil
}

// normaliseImages lower-cases the keys of an override map and drops empty
// images.
func normaliseImages(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		if v != "" {
			out[strings.ToLower(strings.TrimSpace(k))] = v
		}
	}
	return out
}

// imageChoice is the image an instance runs, and where it came from.
type imageChoice struct {
	ref        string
	configured bool   // from Spec.Image or an override, not a default
	fallback   string // image to use when ref is a missing default
}

// imageFor picks the image of spec: Spec.Image, then the override for the
// exact runtime name, then the one for its family, then DefaultImage. binary
// is the Go1 executable, checked for dynamic linking.
func (d *Docker) imageFor(spec runtime.Spec, binary string) (imageChoice, error) {
	return chooseImage(d.images, spec, binary)
}

// chooseImage is imageFor with the overrides (normalised) as an argument.
func chooseImage(images map[string]string, spec runtime.Spec, binary string) (imageChoice, error) {
	if spec.ImageConfig != nil {
		return imageChoice{ref: spec.ImageConfig.ImageURI, configured: true}, nil
	}
	if spec.Image != "" {
		return imageChoice{ref: spec.Image, configured: true}, nil
	}
	rt := strings.ToLower(spec.Runtime)
	for _, k := range [...]string{rt, runtimeFamily(rt)} {
		if img := images[k]; k != "" && img != "" {
			return imageChoice{ref: img, configured: true}, nil
		}
	}
	ref := DefaultImage(spec.Runtime)
	switch family := runtimeFamily(rt); {
	case ref == "":
		return imageChoice{}, scferr.Newf(scferr.ErrContainerInit, nil, "runtime %q is not supported by the docker runtime", spec.Runtime)
	case family == "go1" && binary != "" && dynamicallyLinked(binary):
		// A cgo build needs the C library that scratch lacks.
		return imageChoice{ref: DebianRuntimeImage}, nil
	case family == "python" || family == "nodejs" || family == "php":
		return imageChoice{ref: ref, fallback: DebianRuntimeImage}, nil
	default:
		return imageChoice{ref: ref}, nil
	}
}

// dynamicallyLinked reports whether path is an ELF executable that needs an
// interpreter (the dynamic loader). Anything unreadable counts as static.
func dynamicallyLinked(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}

// imagePresent checks the daemon unless the image was seen before.
func (d *Docker) imagePresent(ctx context.Context, ref string) (bool, error) {
	d.mu.Lock()
	known := d.present[ref]
	d.mu.Unlock()
	if known {
		return true, nil
	}
	ok, err := d.api.imageExists(ctx, ref)
	if ok {
		d.markPresent(ref)
	}
	return ok, err
}

func (d *Docker) markPresent(ref string) {
	d.mu.Lock()
	d.present[ref] = true
	d.mu.Unlock()
}

// forgetImage drops ref from the caches, after the daemon said it is gone:
// the next start resolves it again.
func (d *Docker) forgetImage(ref string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.present, ref)
	for k, r := range d.resolved {
		if r.res.Image == ref {
			delete(d.resolved, k)
		}
	}
}

// createStaticImage imports StaticRuntimeImage: scratch plus /tmp, the
// host's CA certificates and a passwd file, as the build script does.
func (d *Docker) createStaticImage(ctx context.Context) error {
	d.staticMu.Lock()
	defer d.staticMu.Unlock()
	if ok, err := d.imagePresent(ctx, StaticRuntimeImage); ok || err != nil {
		return err
	}
	rootfs, err := staticRootfs()
	if err != nil {
		return err
	}
	d.logger.Info("creating image", "image", StaticRuntimeImage)
	changes := []string{"ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	if err := d.api.importImage(ctx, StaticRuntimeImage, rootfs, changes); err != nil {
		return err
	}
	d.markPresent(StaticRuntimeImage)
	return nil
}

// staticRootfs is the tar of StaticRuntimeImage.
func staticRootfs() (*bytes.Buffer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: now})
	}
	file := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: now}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	err := dir("tmp/", 0o1777)
	for _, d := range []string{"etc/", "etc/ssl/", "etc/ssl/certs/"} {
		if err == nil {
			err = dir(d, 0o755)
		}
	}
	if err == nil {
		err = file("etc/passwd", []byte("root:x:0:0:root:/tmp:/nonexistent\nnobody:x:65534:65534:nobody:/tmp:/nonexistent\n"))
	}
	if err == nil {
		err = file("etc/group", []byte("root:x:0:\nnogroup:x:65534:\n"))
	}
	for _, ca := range [...]string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"} {
		if b, rerr := os.ReadFile(ca); err == nil && rerr == nil {
			err = file("etc/ssl/certs/ca-certificates.crt", b)
			break
		}
	}
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("static image rootfs: %w", err)
	}
	return &buf, nil
}
