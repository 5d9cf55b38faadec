package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// script is the buildspec's commands as one bash script, as a developer
// would run them: a fresh clone, then pre_build, build and post_build.
// "@step NAME TIME" lines mark where each step starts.
const script = `set -euo pipefail
step() { echo "@step $1 $EPOCHREALTIME"; }
step clone
git clone -q --branch main "file://$REPO" "$CODEBUILD_SRC_DIR"
cd "$CODEBUILD_SRC_DIR"
CODEBUILD_RESOLVED_SOURCE_VERSION=$(git rev-parse HEAD)
echo "Logging in to $WHARF_REGISTRY as the build's Docker config allows"
REPOSITORY_URI=$WHARF_REGISTRY/buildapp
IMAGE_TAG=$(echo "$CODEBUILD_RESOLVED_SOURCE_VERSION" | cut -c 1-7)
echo "token is $DEPLOY_TOKEN"
step go-build
go build -ldflags "-s -w -X main.version=$IMAGE_TAG" -o app .
step docker-build
docker build --quiet --label "wharf.test=$TEST_LABEL" -t "$REPOSITORY_URI:$IMAGE_TAG" .
step docker-push
docker push --quiet "$REPOSITORY_URI:$IMAGE_TAG"
IMAGE_URI=$REPOSITORY_URI:$IMAGE_TAG
printf '[{"name":"web","imageUri":"%s"}]' "$IMAGE_URI" > imagedefinitions.json
step end
`

// steps are the script's steps, in order.
var steps = []string{"clone", "go-build", "docker-build", "docker-push"}

// direct runs the script with the build's environment: the agent's PATH,
// a fresh HOME, the buildspec's variables and a Docker config logged in to
// wharf's registry (with an ECR GetAuthorizationToken token).
type direct struct {
	dir     string
	pid     int // the wharf server's: its CPU (the registry's) is counted too
	env     []string
	gocache string // created by the first (cold) run, reused by the others
	n       int
}

type directRun struct {
	wall time.Duration
	cpu  time.Duration // bash and its children, and the wharf server (the registry)
	step map[string]time.Duration
}

func newDirect(ctx context.Context, w *wharf, dir, label, repoDir string) (*direct, error) {
	d := &direct{dir: filepath.Join(dir, "direct"), pid: w.pid}
	tok, err := w.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil || len(tok.AuthorizationData) == 0 {
		return nil, fmt.Errorf("get authorization token: %v", err)
	}
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{
		w.registry: map[string]string{"auth": aws.ToString(tok.AuthorizationData[0].AuthorizationToken)}}})
	dockerDir := filepath.Join(d.dir, "docker")
	if err := os.MkdirAll(dockerDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dockerDir, "config.json"), cfg, 0o600); err != nil {
		return nil, err
	}
	d.gocache = filepath.Join(d.dir, "gocache")
	d.env = []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "DOCKER_CONFIG=" + dockerDir,
		"WHARF_REGISTRY=" + w.registry, "TEST_LABEL=" + label, "GOTOOLCHAIN=local", "REPO=" + repoDir,
		"CGO_ENABLED=0", "GOFLAGS=-trimpath", "DEPLOY_TOKEN=" + deployToken, "GOCACHE=" + d.gocache}
	return d, nil
}

// run runs the script once in a fresh directory, with the shared GOCACHE.
func (d *direct) run(ctx context.Context) (directRun, error) {
	d.n++
	runDir := filepath.Join(d.dir, fmt.Sprintf("run-%d", d.n))
	home := filepath.Join(runDir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return directRun{}, err
	}
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = runDir
	cmd.Env = append(d.env[:len(d.env):len(d.env)], "HOME="+home, "CODEBUILD_SRC_DIR="+filepath.Join(runDir, "src"))
	cpu := processCPU(d.pid)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r := directRun{wall: time.Since(start), step: map[string]time.Duration{}}
	if err != nil {
		return r, fmt.Errorf("direct build: %v\n%s", err, out)
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime() + processCPU(d.pid).sub(cpu).total()
	var prev string
	var prevAt float64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "@step" {
			continue
		}
		at, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			return r, fmt.Errorf("direct build: bad step line %q", sc.Text())
		}
		if prev != "" {
			r.step[prev] = time.Duration((at - prevAt) * float64(time.Second))
		}
		prev, prevAt = f[1], at
	}
	return r, nil
}
