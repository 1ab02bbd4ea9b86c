package api

import (
	"context"
	"encoding/base64"
	"strings"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/codezip"
	"github.com/scf-emulator/emulator/registry"
)

// zipParams are the code parameters of CreateFunction and
// UpdateFunctionCode; only one zip may come in.
type zipParams struct {
	field      string  // wire name of zip, for messages
	zip        *string // UpdateFunctionCode's top-level ZipFile
	code       *scf.Code
	codeSource *string
}

// archive returns the decoded zip. The emulator takes code as a base64 zip in
// the request; COS, Git and demo sources need the cloud. Image code
// (Code.ImageConfig) is read by imageConfigIn before this.
func (p zipParams) archive() ([]byte, error) {
	switch s := str(p.codeSource); s {
	case "", "ZipFile":
	default:
		return nil, newError(codeBadCodeSource, "CodeSource %q is not supported by the emulator: send the code as a base64 zip in ZipFile", s)
	}
	text := str(p.zip)
	if c := p.code; c != nil {
		for _, f := range []param{
			need("CosBucketName", c.CosBucketName), need("CosObjectName", c.CosObjectName), need("CosBucketRegion", c.CosBucketRegion),
			need("TempCosObjectName", c.TempCosObjectName), need("DemoId", c.DemoId), need("GitUrl", c.GitUrl),
		} {
			if str(f.value) != "" {
				return nil, newError(codeBadCode, "Code.%s is not supported by the emulator: send the code as a base64 zip in Code.ZipFile", f.name)
			}
		}
		if z := str(c.ZipFile); z != "" {
			if text != "" && text != z {
				return nil, newError(codeBadCode, "the code package is given twice, in ZipFile and Code.ZipFile, with different content")
			}
			text = z
		}
	}
	if text == "" {
		return nil, newError(codeMissingCode, "%s is required: the function's code as a base64-encoded zip", p.field)
	}
	return decodeZip(p.field, text)
}

// decodeZip decodes standard base64, with or without padding, ignoring line
// breaks and spaces as some encoders insert them.
func decodeZip(field, text string) ([]byte, error) {
	text = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, text)
	if limit := base64.StdEncoding.EncodedLen(codezip.DefaultMaxArchiveBytes); len(text) > limit {
		return nil, newError(codeBadZipFile, "%s holds a zip of about %d bytes; the limit is %d bytes (20 MB)",
			field, base64.StdEncoding.DecodedLen(len(text)), codezip.DefaultMaxArchiveBytes)
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(text, "=") && len(text)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	data, err := enc.DecodeString(text)
	if err != nil {
		return nil, newError(codeBadBase64, "%s is not valid base64: %v", field, err)
	}
	return data, nil
}

// unzipInto returns the FillFunc that unpacks data with the platform's
// limits.
func unzipInto(ctx context.Context, data []byte) registry.FillFunc {
	return func(dir string) error {
		_, err := codezip.Extract(ctx, data, dir, codezip.Limits{})
		return err
	}
}
