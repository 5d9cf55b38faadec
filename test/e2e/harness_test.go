package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/testutil/syncbuf"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// wharfBinary builds cmd/wharf once per test process.
func wharfBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wharf-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "wharf")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/wharf")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a wharf server running as a child process.
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs interface {
		io.Writer
		String() string
	}
	done chan struct{}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs `wharf server` on dataDir and waits for /healthz.
func startServer(t *testing.T, dataDir string, extra ...string) *proc {
	t.Helper()
	return startServerOn(t, freePort(t), dataDir, extra...)
}

// startServerOn is startServer on a given port (a restart keeps its port).
func startServerOn(t *testing.T, port int, dataDir string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"server", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", dataDir}, extra...)
	cmd := exec.Command(wharfBinary(t), args...)
	logs := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), logs: logs, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	t.Cleanup(func() { killLoadBalancer(dataDir) })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("wharf server exited during start-up:\n%s", logs)
		default:
		}
		resp, err := http.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("wharf server not healthy within 60s:\n%s", logs)
	return nil
}

// kill sends SIGKILL and waits for the process to go.
func (p *proc) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// stop sends SIGTERM and waits, returning how the process exited.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(45 * time.Second):
		t.Fatalf("wharf server did not stop on SIGTERM:\n%s", p.logs)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("wharf server exited with %d on SIGTERM:\n%s", code, p.logs)
	}
}

// awsCLI returns the path of the AWS CLI v2, failing the test if only v1 or
// nothing is installed (.ci/run installs Debian's awscli, which is v2).
func awsCLI(t *testing.T) string {
	t.Helper()
	for _, c := range []string{os.Getenv("WHARF_AWS_CLI"), "/usr/bin/aws", "/usr/local/bin/aws", "aws"} {
		if c == "" {
			continue
		}
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "--version").CombinedOutput()
		if err == nil && strings.HasPrefix(string(out), "aws-cli/2") {
			return path
		}
	}
	t.Fatalf("AWS CLI v2 not found: apt-get install -y awscli (or set WHARF_AWS_CLI)")
	return ""
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// killLoadBalancer stops the wharf lb data planes serving dataDir: they
// outlive their server by design, so tests end them themselves. They are
// found by their command line (the lock file may not be written yet when
// a test ends right after starting a server).
func killLoadBalancer(dataDir string) {
	stateDir := filepath.Join(dataDir, "lb")
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		buf, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(buf), "\x00"), "\x00")
		if len(args) < 2 || args[1] != "lb" || !slices.Contains(args, stateDir) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
