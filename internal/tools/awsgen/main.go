// Command awsgen generates Go wire types from an AWS API model (a botocore
// service-2.json file, documentation stripped):
//
//	go run ./internal/tools/awsgen -model api/models/ecs-2014-11-13.json \
//		-package ecswire -out internal/api/ecs/ecswire/zz_generated.go
//
// For every structure it writes a struct with JSON tags and a validator,
// for every string enum a named type with constants, and package-level
// descriptors of the operations and exceptions. Output is gofmt'ed and
// depends only on the model, so regenerating an unchanged model is a no-op.
//
// -require Shape.member,… marks members as required that the model leaves
// optional but the real service rejects when missing (ECS, for instance,
// requires ContainerDefinition.name without saying so in its model). The
// list lives in the package's go:generate line, next to the output.
//
// -box Shape,… makes scalar shapes optional (pointers) that the model does
// not box but whose absence the service tells from a zero value (CodeBuild's
// WrapperBoolean: privilegedModeOverride=false must override a project's
// true, and a missing one must not).
// See docs/generating.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharfhq/wharf/internal/fsutil"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "awsgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("awsgen", flag.ContinueOnError)
	modelPath := fs.String("model", "", "path of the service-2.json model")
	pkg := fs.String("package", "", "name of the generated Go package")
	out := fs.String("out", "", "file to write (stdout when empty)")
	require := fs.String("require", "", "comma-separated Shape.member list to treat as required in addition to the model's own")
	box := fs.String("box", "", "comma-separated scalar shapes to make optional (pointers)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *modelPath == "" || *pkg == "" {
		return fmt.Errorf("-model and -package are required")
	}
	var extra []string
	if *require != "" {
		extra = strings.Split(*require, ",")
	}
	var boxed []string
	if *box != "" {
		boxed = strings.Split(*box, ",")
	}
	src, err := generateFile(*modelPath, *pkg, extra, boxed)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = os.Stdout.Write(src)
		return err
	}
	return writeFileAtomic(*out, src)
}

// generateFile loads a model, marks the extra "Shape.member" entries as
// required, boxes the named scalar shapes and renders the Go source.
func generateFile(modelPath, pkg string, extraRequired, boxed []string) ([]byte, error) {
	m, err := loadModel(modelPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	if err := m.addRequired(extraRequired); err != nil {
		return nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	if err := m.box(boxed); err != nil {
		return nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	return generate(m, pkg, filepath.Base(modelPath))
}

// writeFileAtomic replaces the generated file durably.
func writeFileAtomic(path string, data []byte) error {
	return fsutil.WriteFileAtomic(path, data, 0o644)
}
