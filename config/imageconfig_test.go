package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestImageConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "emulator.yaml")
	tests := []struct {
		name, fn string
		want     *ImageConfig
		err      string
	}{
		{"full", "imageConfig: {imageUri: 'my/app:1', command: /server, args: '--port 9000'}",
			&ImageConfig{ImageURI: "my/app:1", Command: "/server", Args: "--port 9000"}, ""},
		{"image only", "imageConfig: {imageUri: 'my/app:1'}", &ImageConfig{ImageURI: "my/app:1"}, ""},
		{"no uri", "imageConfig: {command: /server}", nil, "imageConfig.imageUri is required"},
		{"unknown key", "imageConfig: {imageUri: a, port: 9000}", nil, "port"},
		{"with image", "image: python:3.9-slim\n    imageConfig: {imageUri: a}", nil, "image and imageConfig exclude each other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := "functions:\n  img:\n    source: .\n    runtime: CustomRuntime\n    type: http\n    " + tc.fn + "\n"
			f, err := Parse(path, []byte(data))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse = %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Functions[0].ImageConfig; got == nil || *got != *tc.want {
				t.Errorf("ImageConfig = %+v, want %+v", got, tc.want)
			}
		})
	}
}
