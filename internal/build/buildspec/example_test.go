package buildspec_test

import (
	"context"
	"fmt"
	"os"

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
