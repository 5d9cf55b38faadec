package e2e

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// buildEnv is a wharf server with a local agent (which runs builds as well
// as tasks) and the clients the build tests use.
type buildEnv struct {
	*dockerEnv
	cb    *codebuild.Client
	label string // on every image the builds make, for cleanup
}

func newBuildEnv(t *testing.T) *buildEnv {
	e := &buildEnv{dockerEnv: newDockerEnv(t), cb: wharftest.CodeBuild("")}
	e.cb = wharftest.CodeBuild(e.p.url)
	e.label = filepath.Base(e.dir)
	t.Cleanup(func() {
		out, _ := exec.Command("docker", "images", "-q", "--filter", "label=wharf.test="+e.label).Output()
		for _, id := range strings.Fields(string(out)) {
			_ = exec.Command("docker", "rmi", "-f", id).Run()
		}
	})
	return e
}

// gitRepo makes a git repository of the build test app with one commit
// and returns its path and commit id.
func gitRepo(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	_, file, _, _ := goruntime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "testdata", "buildapp")
	dir := t.TempDir()
	for _, name := range []string{"main.go", "Dockerfile", "buildspec.yml"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), string(b))
	}
	b, _ := os.ReadFile(filepath.Join(src, "go.mod.txt"))
	writeFile(t, filepath.Join(dir, "go.mod"), string(b))
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "build app")
	return dir, git("rev-parse", "HEAD")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostProject is a LINUX_HOST project building repo (wharf's extension:
// no build image can be pulled here).
func (e *buildEnv) hostProject(name, repo string, mutate ...func(*codebuild.CreateProjectInput)) {
	e.t.Helper()
	gocache, _ := exec.Command("go", "env", "GOCACHE").Output()
	in := &codebuild.CreateProjectInput{
		Name:   aws.String(name),
		Source: &cbtypes.ProjectSource{Type: cbtypes.SourceTypeGithubEnterprise, Location: aws.String("file://" + repo)},
		Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeS3, Location: aws.String("wharf-artifacts"),
			Path: aws.String(name), Name: aws.String("out.zip"), Packaging: cbtypes.ArtifactPackagingZip},
		Environment: &cbtypes.ProjectEnvironment{
			Type: "LINUX_HOST", Image: aws.String("wharf/host"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small,
			PrivilegedMode: aws.Bool(true),
			EnvironmentVariables: []cbtypes.EnvironmentVariable{
				{Name: aws.String("TEST_LABEL"), Value: aws.String(e.label)},
				// The host's Go build cache: the test is about wharf, not
				// about compiling the standard library again.
				{Name: aws.String("GOCACHE"), Value: aws.String(strings.TrimSpace(string(gocache)))},
				{Name: aws.String("GOTOOLCHAIN"), Value: aws.String("local")},
			},
		},
		ServiceRole: aws.String("arn:aws:iam::000000000000:role/build"),
	}
	for _, m := range mutate {
		m(in)
	}
	if _, err := e.cb.CreateProject(ctxTimeout(e.t, time.Minute), in); err != nil {
		e.t.Fatal(err)
	}
}

// waitBuild polls until the build is complete.
func (e *buildEnv) waitBuild(id string, d time.Duration) cbtypes.Build {
	e.t.Helper()
	ctx := ctxTimeout(e.t, d)
	for {
		out, err := e.cb.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{id}})
		if err == nil && len(out.Builds) == 1 && out.Builds[0].BuildComplete {
			return out.Builds[0]
		}
		if ctx.Err() != nil {
			e.t.Fatalf("build %s not complete within %s: %v\n%s\nserver log:\n%s", id, d, err, e.buildLog(id), e.p.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// buildLog returns the build's CloudWatch log.
func (e *buildEnv) buildLog(id string) string {
	project, uuid, _ := strings.Cut(id, ":")
	logs := wharftest.Logs(e.p.url)
	var lines []string
	var token *string
	for range 100 {
		out, err := logs.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("/aws/codebuild/" + project), LogStreamName: aws.String(uuid),
			StartFromHead: aws.Bool(true), NextToken: token,
		})
		if err != nil {
			return "(no log: " + err.Error() + ")"
		}
		for _, ev := range out.Events {
			lines = append(lines, aws.ToString(ev.Message))
		}
		if len(out.Events) == 0 || (token != nil && aws.ToString(out.NextForwardToken) == *token) {
			break
		}
		token = out.NextForwardToken
	}
	return strings.Join(lines, "\n")
}

func phaseList(b cbtypes.Build) string {
	var s []string
	for _, p := range b.Phases {
		s = append(s, string(p.PhaseType)+":"+string(p.PhaseStatus))
	}
	return strings.Join(s, " ")
}

// TestBuildImageEndToEnd: a project whose buildspec compiles a Go app,
// builds a FROM scratch image, pushes it to wharf's registry tagged with the
// commit and writes imagedefinitions.json; the image then runs as a task on
// an engine that no longer has it.
func TestBuildImageEndToEnd(t *testing.T) {
	e := newBuildEnv(t)
	ctx := ctxTimeout(t, 5*time.Minute)
	repo, commit := gitRepo(t, nil)
	if _, err := ecrClient(e.p.url).CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("buildapp")}); err != nil {
		t.Fatal(err)
	}
	const secret = "s3cr3t-deploy-token"
	if _, err := wharftest.SSM(e.p.url).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/buildapp/deploy-token"), Value: aws.String(secret), Type: ssmtypes.ParameterTypeSecureString,
	}); err != nil {
		t.Fatal(err)
	}
	e.hostProject("buildapp", repo)

	start, err := e.cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("buildapp"), SourceVersion: aws.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(start.Build.Id)
	if !strings.HasPrefix(id, "buildapp:") || aws.ToInt64(start.Build.BuildNumber) != 1 {
		t.Fatalf("StartBuild = %s #%d", id, aws.ToInt64(start.Build.BuildNumber))
	}
	b := e.waitBuild(id, 3*time.Minute)
	log := e.buildLog(id)
	for _, p := range b.Phases {
		t.Logf("%-17s %-10s %ds", p.PhaseType, p.PhaseStatus, aws.ToInt64(p.DurationInSeconds))
	}
	if b.BuildStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("build %s: %s\nphases: %s\nlog:\n%s\nserver log:\n%s", id, b.BuildStatus, phaseList(b), log, e.p.logs)
	}
	wantPhases := "SUBMITTED:SUCCEEDED QUEUED:SUCCEEDED PROVISIONING:SUCCEEDED DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED " +
		"PRE_BUILD:SUCCEEDED BUILD:SUCCEEDED POST_BUILD:SUCCEEDED UPLOAD_ARTIFACTS:SUCCEEDED FINALIZING:SUCCEEDED COMPLETED:"
	if got := phaseList(b); got != wantPhases {
		t.Fatalf("phases\n got %s\nwant %s", got, wantPhases)
	}
	if aws.ToString(b.ResolvedSourceVersion) != commit {
		t.Fatalf("resolvedSourceVersion = %q, want %s", aws.ToString(b.ResolvedSourceVersion), commit)
	}
	tag := commit[:7]
	imageURI := strings.TrimPrefix(e.p.url, "http://") + "/buildapp:" + tag
	exported := map[string]string{}
	for _, v := range b.ExportedEnvironmentVariables {
		exported[aws.ToString(v.Name)] = aws.ToString(v.Value)
	}
	if exported["IMAGE_URI"] != imageURI || exported["IMAGE_TAG"] != tag {
		t.Fatalf("exported variables = %v, want IMAGE_URI=%s", exported, imageURI)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", imageURI).Run() })

	t.Run("log streams CodeBuild lines and masks the secret", func(t *testing.T) {
		for _, want := range []string{"Running command go build", "Phase complete: BUILD State: SUCCEEDED", "token is ***"} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q", want)
			}
		}
		if strings.Contains(log, secret) {
			t.Error("the parameter-store secret is in the log")
		}
		if t.Failed() {
			t.Log(log)
		}
	})
	t.Run("imagedefinitions.json artifact", func(t *testing.T) {
		loc := aws.ToString(b.Artifacts.Location)
		if loc != "arn:aws:s3:::wharf-artifacts/buildapp/out.zip" || aws.ToString(b.Artifacts.Sha256sum) == "" {
			t.Fatalf("artifacts = %+v", b.Artifacts)
		}
		zr, err := zip.OpenReader(filepath.Join(e.dir, "artifacts", "wharf-artifacts", "buildapp", "out.zip"))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		if len(zr.File) != 1 || zr.File[0].Name != "imagedefinitions.json" {
			t.Fatalf("artifact files = %v", zr.File)
		}
		rc, _ := zr.File[0].Open()
		raw, _ := io.ReadAll(rc)
		rc.Close()
		var defs []struct{ Name, ImageURI string }
		if err := json.Unmarshal(raw, &defs); err != nil || len(defs) != 1 || defs[0].Name != "web" || defs[0].ImageURI != imageURI {
			t.Fatalf("imagedefinitions.json = %s (%v)", raw, err)
		}
	})
	t.Run("pushed image runs as a task on an engine that lost it", func(t *testing.T) {
		if out, err := exec.Command("docker", "rmi", "-f", imageURI).CombinedOutput(); err != nil {
			t.Fatalf("docker rmi: %v\n%s", err, out)
		}
		e.register(&ecs.RegisterTaskDefinitionInput{
			Family: aws.String("buildapp"),
			ContainerDefinitions: []types.ContainerDefinition{{
				Name: aws.String("web"), Image: aws.String(imageURI), Memory: aws.Int32(64), Essential: aws.Bool(true),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			}},
		})
		tk := e.run("buildapp")
		tk = e.waitStatus(aws.ToString(tk.TaskArn), "RUNNING")
		port := aws.ToInt32(tk.Containers[0].NetworkBindings[0].HostPort)
		if body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); body != "hello from "+tag+"\n" {
			t.Fatalf("the task answers %q", body)
		}
	})
	t.Run("aws codebuild start-build and batch-get-builds", func(t *testing.T) {
		out, err := e.awsCLI(t, "codebuild", "start-build", "--project-name", "buildapp", "--source-version", commit[:10])
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var res struct {
			Build struct {
				ID          string `json:"id"`
				BuildNumber int64  `json:"buildNumber"`
			}
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Build.BuildNumber != 2 {
			t.Fatalf("start-build: %v\n%s", err, out)
		}
		b := e.waitBuild(res.Build.ID, 3*time.Minute)
		if b.BuildStatus != cbtypes.StatusTypeSucceeded || aws.ToString(b.ResolvedSourceVersion) != commit {
			t.Fatalf("CLI build: %s %s\n%s", b.BuildStatus, aws.ToString(b.ResolvedSourceVersion), e.buildLog(res.Build.ID))
		}
		out, err = e.awsCLI(t, "codebuild", "batch-get-builds", "--ids", res.Build.ID)
		if err != nil || !strings.Contains(out, `"buildStatus": "SUCCEEDED"`) || !strings.Contains(out, `"phaseType": "UPLOAD_ARTIFACTS"`) {
			t.Fatalf("batch-get-builds: %v\n%s", err, out)
		}
	})
}

// awsCLI runs the AWS CLI against the server.
func (e *buildEnv) awsCLI(t *testing.T, args ...string) (string, error) {
	cmd := exec.Command(awsCLI(t), append(args, "--endpoint-url", e.p.url, "--output", "json")...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// envImage builds a build environment image FROM scratch: busybox's
// applets, a marker file, and the docker CLI with its loader and libc (no
// registry is reachable, so no real build image can be pulled).
func (e *buildEnv) envImage() string {
	e.t.Helper()
	ctxDir := e.t.TempDir()
	copyFile := func(src, dst string, mode os.FileMode) {
		b, err := os.ReadFile(src)
		if err != nil {
			e.t.Fatal(err)
		}
		writeFile(e.t, filepath.Join(ctxDir, dst), string(b))
		_ = os.Chmod(filepath.Join(ctxDir, dst), mode)
	}
	for _, applet := range []string{"sh", "sleep", "cat", "echo", "cp", "mkdir", "rm", "mv", "ls", "env", "printf", "test", "["} {
		copyFile("/bin/busybox", "bin/"+applet, 0o755)
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		e.t.Fatal(err)
	}
	copyFile(docker, "usr/bin/docker", 0o755)
	// ldd fails on a static binary: then there is nothing to add.
	out, _ := exec.Command("ldd", docker).Output()
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, "/") {
			copyFile(f, strings.TrimPrefix(f, "/"), 0o755)
		}
	}
	writeFile(e.t, filepath.Join(ctxDir, "etc/build-env"), "busybox-env\n")
	writeFile(e.t, filepath.Join(ctxDir, "tmp/.keep"), "")
	writeFile(e.t, filepath.Join(ctxDir, "Dockerfile"), "FROM scratch\nCOPY . /\nENV PATH=/bin:/usr/bin\n")
	tag := "wharf-buildenv:" + e.label
	if out, err := exec.Command("docker", "build", "-q", "--label", "wharf.test="+e.label, "-t", tag, ctxDir).CombinedOutput(); err != nil {
		e.t.Fatalf("build the environment image: %v\n%s", err, out)
	}
	return tag
}

// TestBuildInContainer: a LINUX_CONTAINER build runs its commands in a
// container of the project's image, with the source mounted and, in
// privileged mode, a Docker engine it pushes an image with.
func TestBuildInContainer(t *testing.T) {
	e := newBuildEnv(t)
	ctx := ctxTimeout(t, 5*time.Minute)
	image := e.envImage()
	if _, err := ecrClient(e.p.url).CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("inner")}); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "hello.txt"), "from the source\n")
	writeFile(t, filepath.Join(src, "Dockerfile"), "FROM scratch\nCOPY hello.txt /\n")
	spec := `version: 0.2
env:
  exported-variables: [ENV_NAME]
phases:
  build:
    commands:
      - ENV_NAME=$(cat /etc/build-env)
      - cat hello.txt
      - docker build -q --label "wharf.test=$TEST_LABEL" -t "$WHARF_REGISTRY/inner:1" .
      - docker push "$WHARF_REGISTRY/inner:1"
`
	if _, err := e.cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:      aws.String("inner"),
		Source:    &cbtypes.ProjectSource{Type: cbtypes.SourceTypeS3, Location: aws.String(src), Buildspec: aws.String(spec)},
		Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{
			Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String(image), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small,
			PrivilegedMode:       aws.Bool(true),
			EnvironmentVariables: []cbtypes.EnvironmentVariable{{Name: aws.String("TEST_LABEL"), Value: aws.String(e.label)}},
		},
		ServiceRole: aws.String("arn:aws:iam::000000000000:role/build"),
	}); err != nil {
		t.Fatal(err)
	}
	start, err := e.cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("inner")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(start.Build.Id)
	b := e.waitBuild(id, 3*time.Minute)
	log := e.buildLog(id)
	if b.BuildStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("build: %s\nphases: %s\nlog:\n%s\nserver log:\n%s", b.BuildStatus, phaseList(b), log, e.p.logs)
	}
	t.Cleanup(func() {
		_ = exec.Command("docker", "rmi", "-f", strings.TrimPrefix(e.p.url, "http://")+"/inner:1").Run()
	})
	if v := b.ExportedEnvironmentVariables; len(v) != 1 || aws.ToString(v[0].Value) != "busybox-env" {
		t.Fatalf("the commands did not run in the image: exported %v\n%s", v, log)
	}
	if !strings.Contains(log, "from the source") {
		t.Fatalf("the source is not mounted:\n%s", log)
	}
	images, err := ecrClient(e.p.url).ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("inner")})
	if err != nil || len(images.ImageIds) != 1 || aws.ToString(images.ImageIds[0].ImageTag) != "1" {
		t.Fatalf("the image pushed from the build container is not in the registry: %v %+v", err, images)
	}
	if out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=wharf.build="+id).Output(); len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("build container left behind: %s", out)
	}
}

// TestStopBuild: StopBuild ends a running build STOPPED and leaves no
// process (host) or container (container environment) behind.
func TestStopBuild(t *testing.T) {
	e := newBuildEnv(t)
	ctx := ctxTimeout(t, 5*time.Minute)
	image := e.envImage()
	marker := fmt.Sprintf("wharf-stop-%d", time.Now().UnixNano())
	spec := fmt.Sprintf(`version: 0.2
phases:
  build:
    commands:
      - sh -c 'sleep 600; echo %[1]s' &
      - echo started; sleep 600
`, marker)
	for _, env := range []struct {
		name, typ, image string
	}{{"host", "LINUX_HOST", "wharf/host"}, {"container", "LINUX_CONTAINER", image}} {
		t.Run(env.name, func(t *testing.T) {
			project := "stop-" + env.name
			if _, err := e.cb.CreateProject(ctx, &codebuild.CreateProjectInput{
				Name:        aws.String(project),
				Source:      &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String(spec)},
				Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
				Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentType(env.typ), Image: aws.String(env.image), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
				ServiceRole: aws.String("arn:aws:iam::000000000000:role/build"),
			}); err != nil {
				t.Fatal(err)
			}
			start, err := e.cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String(project)})
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(start.Build.Id)
			for !strings.Contains(e.buildLog(id), "started") {
				if ctx.Err() != nil {
					t.Fatalf("build never started:\n%s\n%s", e.buildLog(id), e.p.logs)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if _, err := e.cb.StopBuild(ctx, &codebuild.StopBuildInput{Id: aws.String(id)}); err != nil {
				t.Fatal(err)
			}
			b := e.waitBuild(id, time.Minute)
			if b.BuildStatus != cbtypes.StatusTypeStopped {
				t.Fatalf("stopped build: %s (%s)", b.BuildStatus, phaseList(b))
			}
			if out, _ := exec.Command("pgrep", "-f", marker).Output(); len(out) > 0 {
				t.Fatalf("processes of the stopped build still run: %s", out)
			}
			if out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=wharf.build="+id).Output(); len(strings.TrimSpace(string(out))) > 0 {
				t.Fatalf("build container left behind: %s", out)
			}
		})
	}
}

// TestBuildAfterServerKill: kill -9 of the server (and so of
// its local agent) in the middle of a LINUX_HOST build. The build's shell
// outlives it; the restarted agent kills what is left and reports the
// build FAULT instead of leaving it IN_PROGRESS forever.
func TestBuildAfterServerKill(t *testing.T) {
	e := newBuildEnv(t)
	ctx := ctxTimeout(t, 3*time.Minute)
	marker := fmt.Sprintf("wharf-orphan-%d", time.Now().UnixNano())
	spec := fmt.Sprintf("version: 0.2\nphases:\n  build:\n    commands:\n      - echo started; sh -c 'sleep 600; echo %s'\n", marker)
	if _, err := e.cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:        aws.String("long"),
		Source:      &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String(spec)},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: "LINUX_HOST", Image: aws.String("wharf/host"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
		ServiceRole: aws.String("arn:aws:iam::000000000000:role/build"),
	}); err != nil {
		t.Fatal(err)
	}
	start, err := e.cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("long")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(start.Build.Id)
	for !strings.Contains(e.buildLog(id), "started") {
		if ctx.Err() != nil {
			t.Fatalf("build never started:\n%s", e.p.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.p.kill()
	if out, _ := exec.Command("pgrep", "-f", marker).Output(); len(out) == 0 {
		t.Fatal("the build's process did not outlive the server: the test proves nothing")
	}
	port, _ := strconv.Atoi(strings.TrimPrefix(e.p.url, "http://127.0.0.1:"))
	e.p = startServerOn(t, port, e.dir, "--local-agent-clusters", e.cluster)
	b := e.waitBuild(id, time.Minute)
	if b.BuildStatus != cbtypes.StatusTypeFault {
		t.Fatalf("interrupted build: %s (%s)", b.BuildStatus, phaseList(b))
	}
	last := b.Phases[len(b.Phases)-2]
	if last.PhaseType != cbtypes.BuildPhaseTypeBuild || len(last.Contexts) == 0 || !strings.Contains(aws.ToString(last.Contexts[0].Message), "agent running it restarted") {
		t.Fatalf("interrupted phase = %+v", last)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := exec.Command("pgrep", "-f", marker).Output()
		if len(out) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the interrupted build's processes still run: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
