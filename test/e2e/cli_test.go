package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func runWharf(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(wharfBinary(t), args...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("wharf %v did not finish", args)
	}
	return string(out), err
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestVersionAndHelp(t *testing.T) {
	out, err := runWharf(t, "version")
	if err != nil || !strings.HasPrefix(out, "wharf ") {
		t.Fatalf("wharf version: %v %q", err, out)
	}
	out, err = runWharf(t, "--help")
	if err != nil || !containsAll(out, "server", "version", "AWS") {
		t.Fatalf("wharf --help: %v\n%s", err, out)
	}
	out, err = runWharf(t, "server", "--help")
	if err != nil || !containsAll(out, "--listen", "--data-dir", "--region", "--etcd-endpoints", "127.0.0.1:7150") {
		t.Fatalf("wharf server --help: %v\n%s", err, out)
	}
}

// TestAWSCLI runs testdata/awscli.sh: the AWS CLI v2 creates a cluster,
// registers a multi-container task definition from a JSON file, lists,
// describes and deregisters it.
func TestAWSCLI(t *testing.T) {
	aws := awsCLI(t)
	p := startServer(t, t.TempDir())
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "testdata", "awscli.sh")
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(),
		"WHARF_ENDPOINT="+p.url,
		"AWS="+aws,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=",
		"TESTDATA="+filepath.Dir(script),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("awscli.sh output:\n%s", out)
	if err != nil {
		t.Fatalf("awscli.sh failed: %v", err)
	}
	if !strings.Contains(string(out), "awscli.sh: all checks passed") {
		t.Fatalf("awscli.sh did not finish")
	}
}
