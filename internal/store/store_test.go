package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/testutil/syncbuf"

	"github.com/wharfhq/wharf/internal/store"
	"github.com/wharfhq/wharf/internal/store/storetest"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openEmbedded(t *testing.T, dir string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, store.Config{DataDir: dir, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

func TestEmbeddedContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.Store {
		s := openEmbedded(t, t.TempDir())
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

// TestExternalContract runs the suite against a real etcd server process
// (Debian's etcd-server, etcd 3.4), one key namespace per test.
func TestExternalContract(t *testing.T) {
	endpoint := startExternalEtcd(t)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) *store.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := store.Open(ctx, store.Config{
			Endpoints: []string{endpoint},
			Prefix:    fmt.Sprintf("/wharf-test-%d", n.Add(1)), // no trailing slash on purpose
			Logger:    quietLogger(),
		})
		if err != nil {
			t.Fatalf("Open(external): %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

const etcdBinary = "/usr/bin/etcd"

// etcdProcess is an etcd server run as a child process.
type etcdProcess struct {
	dir, clientURL, peerURL string
	cmd                     *exec.Cmd
	exited                  chan error
	stderr                  *syncbuf.Buffer
}

// startExternalEtcd runs etcd as a child process on free ports, waits until
// it reports healthy and returns its client URL. It is killed at cleanup.
func startExternalEtcd(t *testing.T) string {
	return startEtcdProcess(t).clientURL
}

func startEtcdProcess(t *testing.T) *etcdProcess {
	t.Helper()
	if _, err := os.Stat(etcdBinary); err != nil {
		t.Fatalf("%s not found (%v): install etcd-server: apt-get install -y etcd-server", etcdBinary, err)
	}
	for attempt := 0; ; attempt++ {
		ports := freePorts(t, 2)
		p := &etcdProcess{
			dir:       t.TempDir(),
			clientURL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
			peerURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		}
		err := p.start(t)
		if err == nil {
			return p
		}
		if attempt < 3 && strings.Contains(p.stderr.String(), "address already in use") {
			continue
		}
		t.Fatalf("etcd at %s not healthy: %v\nstderr:\n%s", p.clientURL, err, p.stderr.String())
	}
}

// start (re)starts the process on its data directory and ports.
func (p *etcdProcess) start(t *testing.T) error {
	p.stderr = &syncbuf.Buffer{}
	p.cmd = exec.Command(etcdBinary,
		"--name", "wharf-test",
		"--data-dir", filepath.Join(p.dir, "etcd"),
		"--listen-client-urls", p.clientURL,
		"--advertise-client-urls", p.clientURL,
		"--listen-peer-urls", p.peerURL,
		"--initial-advertise-peer-urls", p.peerURL,
		"--initial-cluster", "wharf-test="+p.peerURL,
		"--initial-cluster-state", "new",
		"--logger", "zap",
		"--log-level", "error",
	)
	p.cmd.Stdout = io.Discard
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", etcdBinary, err)
	}
	exited := make(chan error, 1)
	p.exited = exited
	cmd := p.cmd
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	return waitHealthy(p.clientURL, exited)
}

// kill stops the process with SIGKILL and waits for it.
func (p *etcdProcess) kill() {
	_ = p.cmd.Process.Kill()
	err := <-p.exited
	p.exited <- err // for the cleanup
}

func waitHealthy(clientURL string, exited <-chan error) error {
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: time.Second}
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("etcd exited: %v", err)
		default:
		}
		resp, err := client.Get(clientURL + "/health")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"health":"true"`) {
				return nil
			}
			err = fmt.Errorf("health %d: %s", resp.StatusCode, body)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("timed out: %v", last)
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
