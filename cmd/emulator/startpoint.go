package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/runtime/docker"
)

// defaultConfigFile is what `emulator up` loads when -f is not given.
const defaultConfigFile = "emulator.yaml"

// startPoint is what `emulator up` serves: a config file, or nothing at all
// (an empty emulator that functions join through CreateFunction).
type startPoint struct {
	// path is the config file; "" starts an empty emulator.
	path string
}

// chooseStart decides what `up` loads. A file named with -f must exist; the
// default emulator.yaml may be missing, and then the emulator starts empty.
// Further kinds of project found in the folder are decided here too, before
// falling back to an empty start.
func chooseStart(path string, explicit bool) (startPoint, error) {
	if explicit {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return startPoint{}, usageError{fmt.Errorf("-f %s: no such file; `emulator init` writes one, "+
				"and `emulator up` without -f in a folder with no %s starts an empty emulator", path, defaultConfigFile)}
		}
		return startPoint{path: path}, nil
	}
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return startPoint{path: path}, nil
	case errors.Is(err, fs.ErrNotExist):
		return serverlessStart(filepath.Dir(path))
	default:
		return startPoint{}, fmt.Errorf("config %s: %w", path, err)
	}
}

// loadConfig reads the config file, or gives the empty config for "".
func loadConfig(path string) (*config.File, error) {
	if path == "" {
		return &config.File{}, nil
	}
	return config.Load(path)
}

// checkUpFlags refuses flag values `up` cannot run with, before anything is
// opened, naming the flag.
func checkUpFlags(cfg AppConfig) error {
	if cfg.MaxInstances < 1 {
		return usageError{fmt.Errorf("--max-instances %d: want 1 or more", cfg.MaxInstances)}
	}
	if cfg.IdleTimeout <= 0 {
		return usageError{fmt.Errorf("--idle-timeout %v: want a positive duration such as 5m", cfg.IdleTimeout)}
	}
	switch cfg.Runtime {
	case "auto", "docker", "process":
	default:
		return usageError{fmt.Errorf("--runtime %q: want auto, docker or process", cfg.Runtime)}
	}
	for _, v := range cfg.Images {
		if _, _, err := docker.ParseImageOverride(v); err != nil {
			return usageError{fmt.Errorf("--image %q: %w", v, err)}
		}
	}
	return nil
}

// flagGiven reports whether the flag name was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
