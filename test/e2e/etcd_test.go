package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// startEtcd runs Debian's etcd (etcd-server) on free loopback ports.
func startEtcd(t *testing.T) string {
	t.Helper()
	bin := "/usr/bin/etcd"
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("etcd not installed: apt-get install -y etcd-server")
	}
	client, peer := freePort(t), freePort(t)
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", client)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
	cmd := exec.Command(bin, "--name", "e2e", "--data-dir", t.TempDir(),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "e2e="+peerURL)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(clientURL + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return clientURL
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("etcd at %s not healthy", clientURL)
	return ""
}

// TestExternalEtcd runs two servers on one external etcd: neither starts an
// embedded etcd, and what one writes the other serves.
func TestExternalEtcd(t *testing.T) {
	endpoint := startEtcd(t)
	ctx := ctxTimeout(t, 2*time.Minute)
	dirA, dirB := t.TempDir(), t.TempDir()
	a := startServer(t, dirA, "--etcd-endpoints", endpoint)
	b := startServer(t, dirB, "--etcd-endpoints", endpoint)
	for _, dir := range []string{dirA, dirB} {
		if _, err := os.Stat(filepath.Join(dir, "etcd")); !os.IsNotExist(err) {
			t.Fatalf("an embedded etcd was started in %s despite --etcd-endpoints", dir)
		}
	}
	ca, cb := wharftest.ECS(a.url), wharftest.ECS(b.url)
	out, err := ca.RegisterTaskDefinition(ctx, taskDef("shared"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := cb.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("shared:1")})
		if err == nil {
			if aws.ToString(d.TaskDefinition.TaskDefinitionArn) != aws.ToString(out.TaskDefinition.TaskDefinitionArn) {
				t.Fatalf("server B sees %s", aws.ToString(d.TaskDefinition.TaskDefinitionArn))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server B never saw server A's registration: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Revisions stay unique across servers.
	r, err := cb.RegisterTaskDefinition(ctx, taskDef("shared"))
	if err != nil || r.TaskDefinition.Revision != 2 {
		t.Fatalf("register via B: %v %v", r, err)
	}
	// State lives in etcd, not in the servers: restart A on a new data dir.
	a.kill()
	a2 := startServer(t, t.TempDir(), "--etcd-endpoints", endpoint)
	l, err := wharftest.ECS(a2.url).ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{})
	if err != nil || len(l.TaskDefinitionArns) != 2 {
		t.Fatalf("after restart on external etcd: %v %v", l, err)
	}
}
