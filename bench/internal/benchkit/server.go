// Package benchkit is what the benchmark commands share: building the
// wharf binary and the test image, and running a wharf server.
package benchkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// WharfProcess is a `wharf server` child process.
type WharfProcess struct {
	cmd    *exec.Cmd
	URL    string // the server's base URL
	log    *os.File
	exited chan struct{}
}

// StartWharf starts `wharf server` with its local agent serving cluster on
// a free loopback port, its log in logPath, and waits for /healthz.
func StartWharf(ctx context.Context, bin, dataDir, logPath, level, cluster string) (*WharfProcess, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "server", "--listen", addr, "--data-dir", dataDir,
		"--local-agent-clusters", cluster, "--load-balancer=false", "--log-level", level, "--log-format", "json")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Own process group, and the server dies with us if we are killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &WharfProcess{cmd: cmd, URL: "http://" + addr, log: logFile, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("wharf server exited during start-up; see %s", logPath)
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.Stop()
	return nil, errors.New("wharf /healthz did not answer 200 within 2m")
}

// stop sends SIGTERM, then SIGKILL after 30s, and waits.
func (p *WharfProcess) Stop() {
	defer p.log.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitHTTP polls url every poll until it answers 200.
func WaitHTTP(ctx context.Context, url string, poll, within time.Duration) error {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		resp, err := c.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		if err := Sleep(ctx, poll); err != nil {
			return err
		}
	}
	return fmt.Errorf("GET %s: no 200 within %s: %v", url, within, last)
}

func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
