package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
)

// RequireDocker returns a client for the engine named by DOCKER_HOST (or the
// default socket). When no engine answers it fails the test loudly: Docker
// tests are part of the suite, not optional.
func RequireDocker(t testing.TB) *client.Client {
	t.Helper()
	c, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatalf("Docker engine not reachable: start dockerd (docker client: %v)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = c.Close()
		t.Fatalf("Docker engine not reachable: start dockerd (%s: %v)", c.DaemonHost(), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestAppImage is the repository of images built by BuildTestApp.
const TestAppImage = "wharf-testapp"

var testApp struct {
	once sync.Once
	ref  string
	err  error
}

// BuildTestApp builds testdata/testapp (CGO_ENABLED=0, once per test
// process) into a FROM-scratch image with the binary at /testapp as its
// entrypoint, and returns the image reference "wharf-testapp:<hash>". An
// image with that tag already present is reused.
func BuildTestApp(t testing.TB) string {
	t.Helper()
	c := RequireDocker(t)
	testApp.once.Do(func() {
		testApp.ref, testApp.err = buildTestApp(c)
	})
	if testApp.err != nil {
		t.Fatalf("build test app image: %v", testApp.err)
	}
	return testApp.ref
}

func buildTestApp(c *client.Client) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "wharf-testapp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "testapp")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./testdata/testapp")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goruntime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./testdata/testapp: %v\n%s", err, out)
	}
	hash, err := fileHash(bin)
	if err != nil {
		return "", err
	}
	ref := TestAppImage + ":" + hash[:16]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return ref, buildScratchImage(ctx, c, bin, ref, []string{"/testapp"})
}

// BuildScratchImage builds an image FROM scratch holding only binaryPath,
// copied to entrypoint[0] (an absolute path) and run as the entrypoint,
// labelled wharf.test=1 and tagged tag. It does nothing if tag exists, so
// put a content hash in the tag. It returns tag.
func BuildScratchImage(t testing.TB, binaryPath, tag string, entrypoint []string) string {
	t.Helper()
	c := RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := buildScratchImage(ctx, c, binaryPath, tag, entrypoint); err != nil {
		t.Fatalf("build image %s: %v", tag, err)
	}
	return tag
}

func buildScratchImage(ctx context.Context, c *client.Client, binaryPath, tag string, entrypoint []string) error {
	if len(entrypoint) == 0 || !strings.HasPrefix(entrypoint[0], "/") {
		return fmt.Errorf("entrypoint %q: its first element must be the absolute path to copy the binary to", entrypoint)
	}
	if _, err := c.ImageInspect(ctx, tag); err == nil {
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect image %s: %w", tag, err)
	}
	bin, err := os.ReadFile(binaryPath)
	if err != nil {
		return err
	}
	ep, err := json.Marshal(entrypoint)
	if err != nil {
		return err
	}
	dockerfile := fmt.Sprintf("FROM scratch\nCOPY app %s\nENTRYPOINT %s\n", entrypoint[0], ep)
	buildContext, err := tarFiles(map[string]tarFile{
		"Dockerfile": {mode: 0o644, data: []byte(dockerfile)},
		"app":        {mode: 0o755, data: bin},
	})
	if err != nil {
		return err
	}
	res, err := c.ImageBuild(ctx, buildContext, client.ImageBuildOptions{
		Tags:        []string{tag},
		Labels:      map[string]string{runtime.LabelTest: "1"},
		Remove:      true,
		ForceRemove: true,
	})
	if err != nil {
		return fmt.Errorf("image build: %w", err)
	}
	defer res.Body.Close()
	var log strings.Builder
	dec := json.NewDecoder(res.Body)
	for {
		var msg jsonstream.Message
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("image build: reading output: %w", err)
		}
		if msg.Error != nil {
			return fmt.Errorf("image build: %s\n%s", msg.Error.Message, log.String())
		}
		log.WriteString(msg.Stream)
	}
	if _, err := c.ImageInspect(ctx, tag); err != nil {
		return fmt.Errorf("image %s missing after build: %w\n%s", tag, err, log.String())
	}
	return nil
}

type tarFile struct {
	mode int64
	data []byte
}

func tarFiles(files map[string]tarFile) (io.Reader, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, f := range files {
		hdr := &tar.Header{Name: name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return &buf, nil
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// moduleRoot finds the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}
