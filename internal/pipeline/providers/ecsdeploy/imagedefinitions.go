package ecsdeploy

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/wharfhq/wharf/internal/artifacts"
)

// DefaultFileName is the image definitions file read when the action has
// no FileName.
const DefaultFileName = "imagedefinitions.json"

// MaxFileSize is the largest image definitions file accepted (100 KB).
const MaxFileSize = 100 * 1024

// ImageDefinition is one entry of imagedefinitions.json: the image a
// container of the task definition is to run.
type ImageDefinition struct {
	Name     string `json:"name"`
	ImageURI string `json:"imageUri"`
}

// readImageDefinitions reads fileName from the root of the zip stored
// under key and parses it. Every error is worded for the action's error
// message.
func readImageDefinitions(store *artifacts.Store, key, fileName string) ([]ImageDefinition, error) {
	const readFailed = "Exception while trying to read the image artifact file from the artifact bucket"
	p, err := store.Path(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", readFailed, err)
	}
	zr, err := zip.OpenReader(p)
	if errors.Is(err, zip.ErrFormat) {
		return nil, fmt.Errorf("%s: the input artifact %s is not a zip file", readFailed, key)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", readFailed, err)
	}
	defer zr.Close()
	want := cleanName(fileName)
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || cleanName(f.Name) != want {
			continue
		}
		if f.UncompressedSize64 > MaxFileSize {
			return nil, fmt.Errorf("the image definitions file %s is %d bytes; the limit is 100 KB", fileName, f.UncompressedSize64)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", readFailed, fileName, err)
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, MaxFileSize+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", readFailed, fileName, err)
		}
		if len(data) > MaxFileSize {
			return nil, fmt.Errorf("the image definitions file %s is larger than the 100 KB limit", fileName)
		}
		return ParseImageDefinitions(data, fileName)
	}
	return nil, fmt.Errorf("Did not find the image definition file %s in the input artifacts ZIP file. "+
		"Verify the file is stored in your pipeline's artifact store.", fileName)
}

// cleanName normalises a zip entry or file name for comparison: slash
// separated, without a leading "./" or "/".
func cleanName(name string) string {
	return strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(name, `\`, "/")), "/")
}

// ParseImageDefinitions parses an image definitions file: UTF-8 JSON, an
// array of {"name", "imageUri"} objects, at least one, each container
// named once. Other keys are ignored. fileName only words the errors.
func ParseImageDefinitions(data []byte, fileName string) ([]ImageDefinition, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("the image definitions file %s is not valid UTF-8", fileName)
	}
	var raw []*struct {
		Name     *string `json:"name"`
		ImageURI *string `json:"imageUri"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("Invalid JSON in image definitions file %s: %s (expected an array of {\"name\": ..., \"imageUri\": ...})", fileName, jsonProblem(err))
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("the image definitions file %s lists no containers", fileName)
	}
	out := make([]ImageDefinition, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	for i, e := range raw {
		switch {
		case e == nil:
			return nil, fmt.Errorf("Invalid JSON in image definitions file %s: entry %d is null", fileName, i+1)
		case e.Name == nil || strings.TrimSpace(*e.Name) == "":
			return nil, fmt.Errorf("Invalid JSON in image definitions file %s: entry %d has no name", fileName, i+1)
		case e.ImageURI == nil || strings.TrimSpace(*e.ImageURI) == "":
			return nil, fmt.Errorf("Invalid JSON in image definitions file %s: entry %d (%s) has no imageUri", fileName, i+1, *e.Name)
		case seen[*e.Name]:
			return nil, fmt.Errorf("the image definitions file %s names container %s more than once", fileName, *e.Name)
		}
		seen[*e.Name] = true
		out = append(out, ImageDefinition{Name: *e.Name, ImageURI: strings.TrimSpace(*e.ImageURI)})
	}
	return out, nil
}

// jsonProblem words a decoding error for a user.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("%s at byte %d", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "found a JSON " + typ.Value + " instead of an array"
		}
		return fmt.Sprintf("%s is a JSON %s, not a %s", typ.Field, typ.Value, typ.Type)
	}
	return err.Error()
}
