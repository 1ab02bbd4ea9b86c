package api

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io/fs"
	"slices"
	"testing"
)

// zipFile is one member of a test code package.
type zipFile struct {
	name, body string
	mode       fs.FileMode // 0 means 0644; fs.ModeSymlink makes body the link target
}

// zipB64 returns a base64 zip of files, as Code.ZipFile carries it.
func zipB64(t testing.TB, files ...zipFile) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// indexPy is the test function: it answers with the version it runs as and
// a tag naming its code, so a test can tell which code ran.
func indexPy(tag string) zipFile {
	return zipFile{name: "index.py", body: "TAG = \"" + tag + "\"\n\n" +
		"def main_handler(event, context):\n" +
		"    return {\"version\": context.function_version, \"tag\": TAG}\n"}
}

func codeZip(t testing.TB, tag string, extra ...zipFile) string {
	return zipB64(t, slices.Concat([]zipFile{indexPy(tag)}, extra)...)
}
