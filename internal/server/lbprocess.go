package server

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ensureLoadBalancer makes sure a `wharf lb` data plane serves this data
// directory. The data plane is its own process so that traffic keeps
// flowing while the server restarts or crashes: if one already runs (it
// holds <data-dir>/lb/lb.lock) it is reused; otherwise one is started in
// its own session, and it is never stopped by the server.
func (s *Server) ensureLoadBalancer() error {
	dir := filepath.Join(s.cfg.DataDir, "lb")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("load balancer state dir: %w", err)
	}
	if pid, running := lbRunning(filepath.Join(dir, "lb.lock")); running {
		s.logger.Info("reusing the running load balancer data plane", "pid", pid)
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate the wharf binary for the load balancer: %w", err)
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "lb.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(exe, "lb", "--server", s.loopbackURL(), "--token-file", filepath.Join(s.cfg.DataDir, "agent-token"),
		"--state-dir", dir)
	if s.cfg.AgentToken != "" {
		cmd.Env = append(os.Environ(), "WHARF_AGENT_TOKEN="+s.cfg.AgentToken)
		cmd.Args = []string{exe, "lb", "--server", s.loopbackURL(), "--state-dir", dir}
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives the server
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the load balancer data plane: %w", err)
	}
	s.logger.Info("started the load balancer data plane", "pid", cmd.Process.Pid, "log", logFile.Name())
	go func() { _ = cmd.Wait() }() // reap it if it exits while we run
	return nil
}

// lbRunning reports whether a data plane holds the lock file, and its pid.
func lbRunning(lockPath string) (int, bool) {
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return 0, false
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		return 0, false
	}
	buf, _ := os.ReadFile(lockPath)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(buf)))
	return pid, true
}
