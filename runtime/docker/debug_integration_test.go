//go:build unix

package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"

	"github.com/docker/docker/api/types/image"
)

// TestDebugpyLabelDaemon: the daemon's answer for an image's labels is what
// CanDebug goes by: an image imported with the build's debugpy label has
// it, a missing image gives way to the fallback, and the static image has
// none.
func TestDebugpyLabelDaemon(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777})
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	ref := "scf-emulator-test/debugpy-label:" + d.Session()
	ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
	defer cancel()
	if err := d.api.importImage(ctx, ref, &buf, []string{"LABEL " + debugpyLabel + "=test"}); err != nil {
		t.Fatalf("import %s: %v", ref, err)
	}
	t.Cleanup(func() {
		if s, ok := d.api.(*sdkClient); ok {
			_, _ = s.c.ImageRemove(context.WithoutCancel(t.Context()), ref, image.RemoveOptions{Force: true})
		}
	})
	missing := "scf-emulator-test/never-built:" + d.Session()
	tests := []struct {
		name    string
		choice  imageChoice
		wantRef string
		want    bool
	}{
		{"labelled image", imageChoice{ref: ref}, ref, true},
		{"missing image, labelled fallback", imageChoice{ref: missing, fallback: ref}, ref, true},
		{"static image", imageChoice{ref: StaticRuntimeImage, fallback: ref}, StaticRuntimeImage, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := d.hasDebugpy(tc.choice); got != tc.wantRef || ok != tc.want {
				t.Fatalf("hasDebugpy = %s %v, want %s %v", got, ok, tc.wantRef, tc.want)
			}
		})
	}
}
