package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharfhq/wharf/internal/runtime"
	"github.com/wharfhq/wharf/internal/testutil/dockertest"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func ecrClient(baseURL string) *ecr.Client {
	return ecr.NewFromConfig(wharftest.AWSConfig(""), func(o *ecr.Options) { o.BaseEndpoint = aws.String(baseURL) })
}

// uniqueImage builds a FROM-scratch image of the test app whose binary
// carries random trailing bytes, so that no engine has seen its layer.
func uniqueImage(t *testing.T) string {
	t.Helper()
	_, file, _, _ := goruntime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "testapp")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./testdata/testapp")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build test app: %v\n%s", err, out)
	}
	junk := make([]byte, 64)
	_, _ = rand.Read(junk)
	f, err := os.OpenFile(bin, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write(junk)
	_ = f.Close()
	tag := fmt.Sprintf("wharf-regtest:%x", junk[:8])
	dockertest.BuildScratchImage(t, bin, tag, []string{"/testapp"})
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
	return tag
}

// regEnv is a wharf server with registry auth and a local agent, a Docker
// CLI configuration of its own and the AWS CLI.
type regEnv struct {
	t         *testing.T
	p         *proc
	port      int
	dir       string
	host      string
	cluster   string
	ecr       *ecr.Client
	ecs       *ecs.Client
	dockerCfg string
	flags     []string
}

func (e *regEnv) docker(args ...string) (string, error) {
	out, err := exec.Command("docker", append([]string{"--config", e.dockerCfg}, args...)...).CombinedOutput()
	return string(out), err
}

func (e *regEnv) mustDocker(args ...string) string {
	e.t.Helper()
	out, err := e.docker(args...)
	if err != nil {
		e.t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (e *regEnv) aws(args ...string) (string, error) {
	cmd := exec.Command(awsCLI(e.t), append(args, "--endpoint-url", e.p.url, "--output", "json")...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (e *regEnv) password() string {
	e.t.Helper()
	tok, err := e.ecr.GetAuthorizationToken(ctxTimeout(e.t, time.Minute), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationData[0].AuthorizationToken))
	_, pw, _ := strings.Cut(string(raw), ":")
	return pw
}

func newRegEnv(t *testing.T) *regEnv {
	dockertest.RequireDocker(t)
	dir := t.TempDir()
	dockertest.CleanupLabel(t, runtime.LabelDataDir, dir)
	e := &regEnv{t: t, port: freePort(t), dir: dir, dockerCfg: t.TempDir(),
		cluster: fmt.Sprintf("reg-%d", time.Now().UnixNano()%1_000_000)}
	e.host = fmt.Sprintf("127.0.0.1:%d", e.port)
	e.flags = []string{"--local-agent-clusters", e.cluster, "--registry-auth", "--registry-lifecycle-interval", "1s"}
	e.p = startServerOn(t, e.port, dir, e.flags...)
	e.ecr, e.ecs = ecrClient(e.p.url), wharftest.ECS(e.p.url)
	return e
}

func TestRegistryEndToEnd(t *testing.T) {
	e := newRegEnv(t)
	ctx := ctxTimeout(t, 5*time.Minute)

	// Repositories: one with the AWS CLI (immutable tags), one with the SDK.
	if out, err := e.aws("ecr", "create-repository", "--repository-name", "e2e/app", "--image-tag-mutability", "IMMUTABLE"); err != nil || !strings.Contains(out, `"repositoryUri": "`+e.host+`/e2e/app"`) {
		t.Fatalf("aws ecr create-repository: %v\n%s", err, out)
	}
	if _, err := e.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("e2e/life")}); err != nil {
		t.Fatal(err)
	}
	var exists *ecrtypes.RepositoryAlreadyExistsException
	if _, err := e.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("e2e/life")}); !errors.As(err, &exists) {
		t.Fatalf("second CreateRepository: %v, want RepositoryAlreadyExistsException", err)
	}

	img, img2 := uniqueImage(t), uniqueImage(t)
	ref := e.host + "/e2e/app:1"
	e.mustDocker("tag", img, ref)
	t.Cleanup(func() { _, _ = e.docker("rmi", "-f", ref) })

	t.Run("push needs docker login", func(t *testing.T) {
		if out, err := e.docker("push", ref); err == nil || !strings.Contains(strings.ToLower(out), "auth") {
			t.Fatalf("push without login: %v\n%s", err, out)
		}
	})
	t.Run("aws ecr get-login-password | docker login, push, pull", func(t *testing.T) {
		login := exec.Command("sh", "-c", fmt.Sprintf("%q ecr get-login-password --endpoint-url %s | docker --config %s login --username AWS --password-stdin %s",
			awsCLI(t), e.p.url, e.dockerCfg, e.host))
		login.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1")
		if out, err := login.CombinedOutput(); err != nil || !strings.Contains(string(out), "Login Succeeded") {
			t.Fatalf("docker login: %v\n%s", err, out)
		}
		e.mustDocker("push", ref)
		e.mustDocker("rmi", ref)
		e.mustDocker("pull", ref)
	})
	t.Run("immutable tag refused on overwrite", func(t *testing.T) {
		e.mustDocker("tag", img2, ref)
		out, err := e.docker("push", ref)
		if err == nil || !strings.Contains(out, "tag invalid") || !strings.Contains(out, "immutable") {
			t.Fatalf("overwrite of an immutable tag: %v\n%s", err, out)
		}
		e.mustDocker("tag", img, ref)
	})
	t.Run("aws ecr describe-images", func(t *testing.T) {
		out, err := e.aws("ecr", "describe-images", "--repository-name", "e2e/app")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var res struct{ ImageDetails []ecrDetail }
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.ImageDetails) != 1 {
			t.Fatalf("describe-images: %v\n%s", err, out)
		}
		d := res.ImageDetails[0]
		if len(d.ImageTags) != 1 || d.ImageTags[0] != "1" || d.ImageSizeInBytes <= 0 || !strings.HasPrefix(d.ImageDigest, "sha256:") ||
			d.ImageManifestMediaType == "" || d.ImagePushedAt == "" {
			t.Fatalf("image detail %+v", d)
		}
	})
	t.Run("wharf registry login", func(t *testing.T) {
		cfg2 := t.TempDir()
		cmd := exec.Command(wharfBinary(t), "registry", "login", "--endpoint", e.p.url)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfg2)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Login Succeeded") {
			t.Fatalf("wharf registry login: %v\n%s", err, out)
		}
		if out, err := exec.Command("docker", "--config", cfg2, "pull", ref).CombinedOutput(); err != nil {
			t.Fatalf("pull after wharf registry login: %v\n%s", err, out)
		}
	})
	t.Run("task image pulled by an agent that never had it", func(t *testing.T) {
		// Forget the image on this engine entirely.
		e.mustDocker("rmi", ref, img)
		if _, err := e.docker("image", "inspect", ref); err == nil {
			t.Fatal("image still on the engine")
		}
		if _, err := e.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(e.cluster)}); err != nil {
			t.Fatal(err)
		}
		env := &dockerEnv{t: t, p: e.p, ecs: e.ecs, cluster: e.cluster, dir: e.dir}
		env.waitInstances(ctx, 1)
		for family, image := range map[string]string{"regapp": ref, "regmissing": e.host + "/e2e/app:missing"} {
			env.register(&ecs.RegisterTaskDefinitionInput{Family: aws.String(family), ContainerDefinitions: []types.ContainerDefinition{{
				Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(64),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			}}})
		}
		tk := env.waitStatus(aws.ToString(env.run("regapp").TaskArn), "RUNNING")
		if tk.PullStartedAt == nil || tk.PullStoppedAt == nil || tk.PullStoppedAt.Before(*tk.PullStartedAt) {
			t.Fatalf("pullStartedAt %v pullStoppedAt %v", tk.PullStartedAt, tk.PullStoppedAt)
		}
		if _, err := e.docker("image", "inspect", ref); err != nil {
			t.Fatal("the agent ran the task without pulling the image")
		}
		missing := env.waitStatus(aws.ToString(env.run("regmissing").TaskArn), "STOPPED")
		if !strings.HasPrefix(aws.ToString(missing.StoppedReason), "CannotPullContainerError: ") || missing.PullStartedAt == nil {
			t.Fatalf("missing image: stoppedReason %q", aws.ToString(missing.StoppedReason))
		}
		if _, err := e.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(e.cluster), Task: tk.TaskArn}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("lifecycle policy expires untagged and keeps newest tagged", func(t *testing.T) {
		testLifecycle(t, e)
	})
	t.Run("content survives kill -9 and restart", func(t *testing.T) {
		before := describeAll(t, e, "e2e/app")
		e.p.kill()
		e.p = startServerOn(t, e.port, e.dir, e.flags...)
		if after := describeAll(t, e, "e2e/app"); !equalImages(before, after) {
			t.Fatalf("images before %v, after restart %v", before, after)
		}
		// Every blob of the image is still served (old tokens stay valid).
		pw := e.password()
		body := e.get(t, pw, "/v2/e2e/app/manifests/1", v1.MediaTypeImageManifest+",application/vnd.docker.distribution.manifest.v2+json")
		var m v1.Manifest
		if err := json.Unmarshal(body, &m); err != nil || len(m.Layers) == 0 {
			t.Fatalf("manifest after restart: %v %s", err, body)
		}
		for _, d := range append(m.Layers, m.Config) {
			if b := e.get(t, pw, "/v2/e2e/app/blobs/"+d.Digest.String(), ""); digest.FromBytes(b) != d.Digest {
				t.Fatalf("blob %s corrupted after restart", d.Digest)
			}
		}
		e.mustDocker("pull", ref)
	})
}

type ecrDetail struct {
	ImageDigest            string
	ImageTags              []string
	ImageSizeInBytes       int64
	ImageManifestMediaType string
	ImagePushedAt          string
}

func describeAll(t *testing.T, e *regEnv, repo string) []string {
	t.Helper()
	out, err := e.ecr.DescribeImages(ctxTimeout(t, time.Minute), &ecr.DescribeImagesInput{RepositoryName: aws.String(repo)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range out.ImageDetails {
		tags := append([]string(nil), d.ImageTags...)
		sort.Strings(tags)
		ids = append(ids, aws.ToString(d.ImageDigest)+"="+strings.Join(tags, ","))
	}
	sort.Strings(ids)
	return ids
}

func equalImages(a, b []string) bool { return strings.Join(a, " ") == strings.Join(b, " ") }

// get reads a registry path with the AWS:<password> credentials.
func (e *regEnv) get(t *testing.T, pw, path, accept string) []byte {
	t.Helper()
	b, status := e.request(t, pw, "GET", path, nil, "Accept", accept)
	if status != 200 {
		t.Fatalf("GET %s: %d %s", path, status, b)
	}
	return b
}

func (e *regEnv) request(t *testing.T, pw, method, path string, body []byte, hdr ...string) ([]byte, int) {
	t.Helper()
	req, _ := http.NewRequest(method, e.p.url+path, bytes.NewReader(body))
	req.SetBasicAuth("AWS", pw)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] != "" {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b, resp.StatusCode
}

// pushSynthetic pushes a small one-layer OCI image under ref (a tag, or
// "" for untagged) and returns its digest.
func (e *regEnv) pushSynthetic(t *testing.T, pw, repo, ref string) string {
	t.Helper()
	layer := make([]byte, 256)
	_, _ = rand.Read(layer)
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + digest.FromBytes(layer).String() + `"]}}`)
	for _, b := range [][]byte{cfg, layer} {
		if out, st := e.request(t, pw, "POST", "/v2/"+repo+"/blobs/uploads/?digest="+digest.FromBytes(b).String(), b, "Content-Type", "application/octet-stream"); st != 201 {
			t.Fatalf("push blob: %d %s", st, out)
		}
	}
	m := v1.Manifest{MediaType: v1.MediaTypeImageManifest,
		Config: v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))},
		Layers: []v1.Descriptor{{MediaType: v1.MediaTypeImageLayer, Digest: digest.FromBytes(layer), Size: int64(len(layer))}}}
	m.SchemaVersion = 2
	body, _ := json.Marshal(m)
	d := digest.FromBytes(body).String()
	if ref == "" {
		ref = d
	}
	if out, st := e.request(t, pw, "PUT", "/v2/"+repo+"/manifests/"+ref, body, "Content-Type", v1.MediaTypeImageManifest); st != 201 {
		t.Fatalf("push manifest: %d %s", st, out)
	}
	time.Sleep(20 * time.Millisecond) // distinct push times
	return d
}

func testLifecycle(t *testing.T, e *regEnv) {
	ctx := ctxTimeout(t, 2*time.Minute)
	pw := e.password()
	const repo = "e2e/life"
	name := map[string]string{}
	for _, tag := range []string{"v1", "v2", "v3", "v4"} {
		name[e.pushSynthetic(t, pw, repo, tag)] = tag
	}
	for _, u := range []string{"u1", "u2", "u3"} {
		name[e.pushSynthetic(t, pw, repo, "")] = u
	}
	name[e.pushSynthetic(t, pw, repo, "other")] = "other"
	policy := `{"rules":[
	 {"rulePriority":1,"description":"keep the newest 2 v* images","selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}},
	 {"rulePriority":2,"description":"expire untagged but the newest","selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`
	wantExpired := map[string]int{"v1": 1, "v2": 1, "u1": 2, "u2": 2}
	wantKept := []string{"other", "u3", "v3", "v4"}

	// The preview names exactly the images the policy will expire.
	if _, err := e.ecr.StartLifecyclePolicyPreview(ctx, &ecr.StartLifecyclePolicyPreviewInput{RepositoryName: aws.String(repo), LifecyclePolicyText: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	pv, err := e.ecr.GetLifecyclePolicyPreview(ctx, &ecr.GetLifecyclePolicyPreviewInput{RepositoryName: aws.String(repo)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range pv.PreviewResults {
		got[name[aws.ToString(r.ImageDigest)]] = int(aws.ToInt32(r.AppliedRulePriority))
	}
	if fmt.Sprint(got) != fmt.Sprint(wantExpired) || pv.Status != ecrtypes.LifecyclePolicyPreviewStatusComplete ||
		aws.ToInt32(pv.Summary.ExpiringImageTotalCount) != int32(len(wantExpired)) {
		t.Fatalf("preview expires %v (status %s), want %v", got, pv.Status, wantExpired)
	}
	// Put the policy; the lifecycle loop (1s here) applies it.
	if _, err := e.ecr.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(repo), LifecyclePolicyText: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	var kept []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := e.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo)})
		if err != nil {
			t.Fatal(err)
		}
		kept = kept[:0]
		for _, d := range out.ImageDetails {
			kept = append(kept, name[aws.ToString(d.ImageDigest)])
		}
		sort.Strings(kept)
		if fmt.Sprint(kept) == fmt.Sprint(wantKept) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the policy ran: images %v, want %v\n%s", kept, wantKept, tail(e.p.logs.String(), 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Expired manifests are gone from the registry, kept ones served.
	for d, n := range name {
		_, st := e.request(t, pw, "HEAD", "/v2/"+repo+"/manifests/"+d, nil, "Accept", v1.MediaTypeImageManifest)
		if _, expired := wantExpired[n]; (st == 200) == expired {
			t.Errorf("image %s (%s): HEAD %d", n, d, st)
		}
	}
	if out, err := e.ecr.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(repo)}); err != nil || aws.ToString(out.LifecyclePolicyText) != policy {
		t.Fatalf("GetLifecyclePolicy: %v", err)
	}
}
