package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/wharfhq/wharf/bench/internal/benchkit"
)

// buildspec is test/e2e/testdata/buildapp/buildspec.yml with a LOCAL
// custom cache of the Go build cache. GOCACHE lies in the source directory
// (cache.paths are relative to it, and the build's workspace changes), so
// .dockerignore keeps it out of the docker build context.
const buildspec = `version: 0.2

env:
  variables:
    CGO_ENABLED: "0"
    GOFLAGS: "-trimpath"
  parameter-store:
    DEPLOY_TOKEN: /buildapp/deploy-token
  exported-variables:
    - IMAGE_URI
    - IMAGE_TAG

phases:
  install:
    commands:
      - export GOCACHE="$CODEBUILD_SRC_DIR/.gocache"
  pre_build:
    commands:
      - echo "Logging in to $WHARF_REGISTRY as the build's Docker config allows"
      - REPOSITORY_URI=$WHARF_REGISTRY/buildapp
      - IMAGE_TAG=$(echo "$CODEBUILD_RESOLVED_SOURCE_VERSION" | cut -c 1-7)
      - echo "token is $DEPLOY_TOKEN"
  build:
    commands:
      - go build -ldflags "-s -w -X main.version=$IMAGE_TAG" -o app .
      - docker build --quiet --label "wharf.test=$TEST_LABEL" -t "$REPOSITORY_URI:$IMAGE_TAG" .
  post_build:
    commands:
      - '[ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ] || exit 1'
      - docker push --quiet "$REPOSITORY_URI:$IMAGE_TAG"
      - IMAGE_URI=$REPOSITORY_URI:$IMAGE_TAG
      - printf '[{"name":"web","imageUri":"%s"}]' "$IMAGE_URI" > imagedefinitions.json

artifacts:
  files: imagedefinitions.json

cache:
  paths:
    - .gocache/**/*
`

// repo is the git repository both sides build: the buildapp example, one
// new commit per build.
type repo struct {
	dir string
	n   int
}

func newRepo(ctx context.Context, dir string) (*repo, error) {
	root, err := benchkit.ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	src := filepath.Join(root, "test", "e2e", "testdata", "buildapp")
	files := map[string]string{"buildspec.yml": buildspec, ".dockerignore": ".gocache\n"}
	for name, from := range map[string]string{"main.go": "main.go", "Dockerfile": "Dockerfile", "go.mod": "go.mod.txt"} {
		b, err := os.ReadFile(filepath.Join(src, from))
		if err != nil {
			return nil, err
		}
		files[name] = string(b)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	r := &repo{dir: dir}
	if err := r.git(ctx, "init", "-q", "-b", "main"); err != nil {
		return nil, err
	}
	if err := r.git(ctx, "add", "."); err != nil {
		return nil, err
	}
	return r, r.git(ctx, "commit", "-q", "-m", "buildapp")
}

// commit appends a comment to main.go and commits it: the next build
// compiles the package again and makes a new image layer and tag.
func (r *repo) commit(ctx context.Context) error {
	r.n++
	f, err := os.OpenFile(filepath.Join(r.dir, "main.go"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "\n// change %d\n", r.n)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return r.git(ctx, "commit", "-q", "-am", fmt.Sprintf("change %d", r.n))
}

func (r *repo) git(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@example.com",
		"GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %v: %v\n%s", args, err, out)
	}
	return nil
}
