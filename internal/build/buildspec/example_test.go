package buildspec_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wharfhq/wharf/internal/build/buildspec"
)

func Example() {
	spec, err := buildspec.Parse([]byte(`version: 0.2
env:
  exported-variables: [IMAGE_TAG]
phases:
  pre_build:
    commands:
      - IMAGE_TAG=v1
  build:
    commands:
      - echo "building $IMAGE_TAG"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	res := buildspec.Run(context.Background(), spec, buildspec.RunOptions{
		Dir: dir,
		Log: func(line string) {
			if len(line) > 0 && line[0] != '[' { // command output only
				fmt.Println(line)
			}
		},
	})
	fmt.Println(res.Status, res.Exported["IMAGE_TAG"])

	_, err = buildspec.Parse([]byte("version: 0.2\nphases:\n  build:\n    commands:\n      - echo a: b\n"))
	fmt.Println(err)
	// Output:
	// building v1
	// SUCCEEDED v1
	// YAML_FILE_ERROR Message: Expected Commands[0] to be of string type: found subkeys instead, check indentation or use quotes to escape colons at line 5
}

// An agent downloads the source in Prepare, then loads the buildspec from
// it; a buildspec that does not parse fails DOWNLOAD_SOURCE.
func ExampleRunOptions_prepare() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	res := buildspec.Run(context.Background(), nil, buildspec.RunOptions{
		Dir: dir,
		Prepare: func(ctx context.Context, log func(string)) (*buildspec.Spec, error) {
			log("Downloading source") // a real agent fetches the source into dir here
			src := "version: 0.2\nphases:\n  build:\n    commands:\n      - echo a: b\n"
			if err := os.WriteFile(filepath.Join(dir, "buildspec.yml"), []byte(src), 0o644); err != nil {
				return nil, err
			}
			return buildspec.ParseFile(filepath.Join(dir, "buildspec.yml"))
		},
		OnPhase: func(p buildspec.Phase) {
			if p.Status != buildspec.StatusInProgress && len(p.Contexts) > 0 && p.Contexts[0].StatusCode != "" {
				fmt.Println(p.Type, p.Status, p.Contexts[0].StatusCode)
			}
		},
	})
	fmt.Println(res.Status)
	// Output:
	// DOWNLOAD_SOURCE FAILED YAML_FILE_ERROR
	// FAILED
}
