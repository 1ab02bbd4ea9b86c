package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// dockerEndpoint is where the daemon is, found the way the docker CLI finds
// it, without the CLI's packages:
//
//  1. DOCKER_HOST, when set, wins (with DOCKER_TLS_VERIFY, DOCKER_CERT_PATH
//     and DOCKER_API_VERSION, as the SDK reads them);
//  2. else the context named by DOCKER_CONTEXT, else the currentContext of
//     $DOCKER_CONFIG/config.json (default ~/.docker/config.json): its host
//     comes from contexts/meta/<sha256 of name>/meta.json and its TLS files
//     (ca.pem, cert.pem, key.pem) from contexts/tls/<sha256 of name>/docker;
//  3. else, or for the context "default", the SDK's default socket.
//
// ssh:// hosts and contexts that skip TLS verification are not supported.
type dockerEndpoint struct {
	host    string // "" means the SDK default (DOCKER_HOST or the local socket)
	context string // the docker context used; "" when none
	// TLS files of the context; all "" when it has none.
	caFile, certFile, keyFile string
}

// String names the endpoint for error messages.
func (e dockerEndpoint) String() string {
	switch {
	case e.context != "":
		return fmt.Sprintf("%s (docker context %s)", e.host, e.context)
	case e.host != "":
		return e.host
	default:
		return "the default docker socket"
	}
}

// resolveDockerEndpoint applies the rules of dockerEndpoint. getenv and home
// are os.Getenv and os.UserHomeDir outside tests.
func resolveDockerEndpoint(getenv func(string) string, home func() (string, error)) (dockerEndpoint, error) {
	if h := getenv("DOCKER_HOST"); h != "" {
		return dockerEndpoint{host: h}, nil
	}
	configDir := getenv("DOCKER_CONFIG")
	if configDir == "" {
		h, err := home()
		if err != nil {
			return dockerEndpoint{}, nil // no home: nothing to read, use the default
		}
		configDir = filepath.Join(h, ".docker")
	}
	name := getenv("DOCKER_CONTEXT")
	if name == "" {
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		b, err := os.ReadFile(filepath.Join(configDir, "config.json"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return dockerEndpoint{}, fmt.Errorf("read docker config: %w", err)
		default:
			if err := json.Unmarshal(b, &cfg); err != nil {
				return dockerEndpoint{}, fmt.Errorf("docker config %s: %w", filepath.Join(configDir, "config.json"), err)
			}
		}
		name = cfg.CurrentContext
	}
	if name == "" || name == "default" {
		return dockerEndpoint{}, nil
	}
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	metaPath := filepath.Join(configDir, "contexts", "meta", id, "meta.json")
	b, err := os.ReadFile(metaPath)
	if err != nil {
		return dockerEndpoint{}, fmt.Errorf("docker context %q: %w", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return dockerEndpoint{}, fmt.Errorf("docker context %q: %s: %w", name, metaPath, err)
	}
	docker, ok := meta.Endpoints["docker"]
	if !ok || docker.Host == "" {
		return dockerEndpoint{}, fmt.Errorf("docker context %q has no docker endpoint", name)
	}
	if docker.SkipTLSVerify {
		return dockerEndpoint{}, fmt.Errorf("docker context %q skips TLS verification, which the emulator does not support: set DOCKER_HOST instead", name)
	}
	ep := dockerEndpoint{host: docker.Host, context: name}
	tlsDir := filepath.Join(configDir, "contexts", "tls", id, "docker")
	files := [...]*string{&ep.caFile, &ep.certFile, &ep.keyFile}
	for i, f := range [...]string{"ca.pem", "cert.pem", "key.pem"} {
		if p := filepath.Join(tlsDir, f); fileExists(p) {
			*files[i] = p
		}
	}
	return ep, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
