package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/docker"
)

// cmdImages is `emulator images`: the images the configuration needs and
// where each stands; --build builds the emulator's own (no registry needed).
func cmdImages(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	path := fs.String("f", "emulator.yaml", "config file")
	build := fs.Bool("build", false, "build "+docker.DebianRuntimeImage+" (debootstrap, as root or through sudo) and "+docker.StaticRuntimeImage)
	force := fs.Bool("force", false, "with --build: rebuild images that exist")
	only := fs.String("only", "", "with --build: debian or static")
	tag := fs.String("tag", "", "with --build: import the Debian image under this name instead of "+docker.DebianRuntimeImage+" (to try a build)")
	images := multiFlag{}
	fs.Var(&images, "image", "image for a runtime, RUNTIME=IMAGE, as for up (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("images takes no arguments, got %q", strings.Join(pos, " "))}
	}
	if (*force || *only != "") && !*build {
		return usageError{errors.New("--force and --only go with --build")}
	}
	if *only != "" && *only != "debian" && *only != "static" {
		return usageError{fmt.Errorf("--only %q: want debian or static", *only)}
	}
	overrides, err := imageOverrides(images)
	if err != nil {
		return err
	}
	im, err := docker.OpenImages(ctx, overrides)
	if err != nil {
		return err
	}
	defer im.Close()
	if *build {
		opts := docker.BuildOptions{Force: *force, Only: *only, Mirror: os.Getenv("DEBIAN_MIRROR"), DebianTag: *tag,
			Progress: func(line string) { fmt.Fprintf(stdout, "%s %s\n", cyan("==>"), line) }}
		if err := im.Build(ctx, opts); err != nil {
			return err
		}
		if _, err := os.Stat(*path); err != nil {
			return nil // building needs no config; listing does
		}
		fmt.Fprintln(stdout)
	}
	file, err := config.Load(*path)
	if err != nil {
		return err
	}
	return listImages(ctx, im, file, stdout)
}

// imageOverrides is SCF_EMULATOR_IMAGE_* overlaid with --image flags.
func imageOverrides(flags []string) (map[string]string, error) {
	images := docker.ImagesFromEnv(os.Environ())
	for _, v := range flags {
		k, img, err := docker.ParseImageOverride(v)
		if err != nil {
			return nil, usageError{fmt.Errorf("--image %q: %w", v, err)}
		}
		images[k] = img // flags beat the environment
	}
	return images, nil
}

// listImages prints one row per function: its image and where it stands.
func listImages(ctx context.Context, im *docker.Images, file *config.File, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tRUNTIME\tIMAGE\tSTATE")
	missing := false
	for _, f := range file.Functions {
		spec := runtime.Spec{Function: f.Name, Runtime: f.Runtime, Type: f.Type, Handler: f.Handler, CodeDir: f.Source, Image: f.Image}
		if ic := f.ImageConfig; ic != nil {
			spec.ImageConfig = &runtime.ImageConfig{ImageURI: ic.ImageURI, Command: ic.Command, Args: ic.Args}
		}
		st, err := im.Status(ctx, spec)
		if err != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Runtime, "-", red(err.Error()))
			continue
		}
		var state string
		switch {
		case st.Present:
			state = green("present")
		case st.Local && st.Image == docker.StaticRuntimeImage:
			state = yellow("missing: up creates it (no network needed)")
		case st.Local:
			state, missing = red("missing: build it with emulator images --build"), true
		case st.Fallback != "":
			state = yellow("missing: up pulls it, else falls back to " + st.Fallback)
		default:
			state, missing = yellow("missing: up pulls it, else the function runs on the process runtime (--runtime auto)"), true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Runtime, st.Image, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if missing {
		fmt.Fprintf(stdout, "\n%s\n", dim("emulator images --build builds the local stand-ins; docker pull IMAGE gets a registry image"))
	}
	return nil
}
