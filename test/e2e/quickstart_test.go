package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/testutil/dockertest"
)

// TestQuickstart runs the README's main command, scripts/quickstart.sh, as
// a user would on a fresh machine (its own data dir and ports), checks the
// app is served through the load balancer, then pushes a change and
// watches the pipeline ship it.
func TestQuickstart(t *testing.T) {
	dockertest.RequireDocker(t)
	_, file, _, _ := goruntime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	data := t.TempDir()
	port, lbPort := freePort(t), freePort(t)
	env := append(os.Environ(), "WHARF_DATA="+data, fmt.Sprintf("WHARF_PORT=%d", port), fmt.Sprintf("WHARF_LB_PORT=%d", lbPort))
	registry := fmt.Sprintf("127.0.0.1:%d/", port)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("bash", append([]string{filepath.Join(root, "scripts", "quickstart.sh")}, args...)...)
		cmd.Dir, cmd.Env = root, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(data, "server.log"))
			t.Fatalf("quickstart.sh %v: %v\n%s\nserver log:\n%s", args, err, out, tail(string(log), 40))
		}
		return string(out)
	}
	t.Cleanup(func() {
		run("--clean")
		out, _ := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}").Output()
		for _, img := range strings.Fields(string(out)) {
			if strings.HasPrefix(img, registry) {
				_ = exec.Command("docker", "rmi", "-f", img).Run()
			}
		}
	})

	start := time.Now()
	out := run()
	url := fmt.Sprintf("http://127.0.0.1:%d/", lbPort)
	if !strings.Contains(out, "hello is served at "+url) {
		t.Fatalf("quickstart output does not end with the URL:\n%s", out)
	}
	t.Logf("quickstart took %s", time.Since(start).Round(time.Second))
	if body := httpGet(t, url); !strings.HasPrefix(body, "hello from ") {
		t.Fatalf("%s answers %q", url, body)
	}

	// The README's next step: edit, commit, push, watch.
	work := filepath.Join(data, "hello")
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", work}, args...)...)
		cmd.Env = append(env, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	for _, f := range []string{"main.go", "main_test.go"} {
		b, err := os.ReadFile(filepath.Join(work, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), []byte(strings.ReplaceAll(string(b), "hello from", "hi from")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("commit", "-qam", "Say hi")
	git("push", "-q")
	watch := exec.Command(filepath.Join(root, "bin", "wharf"), "pipeline", "watch", "hello")
	watch.Env = append(env, fmt.Sprintf("WHARF_ENDPOINT=http://127.0.0.1:%d", port))
	pushed := time.Now()
	if out, err := watch.CombinedOutput(); err != nil {
		t.Fatalf("wharf pipeline watch: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for body := httpGet(t, url); !strings.HasPrefix(body, "hi from "); body = httpGet(t, url) {
		if time.Now().After(deadline) {
			t.Fatalf("after the push %s answers %q", url, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("push to served: %s", time.Since(pushed).Round(100*time.Millisecond))
}
