package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// dirLock is an exclusive flock on DataDir/wharf.lock. The kernel drops it
// when the process dies, so a crashed server never leaves a stale lock.
type dirLock struct {
	f *os.File
}

func lockDataDir(dataDir string) (*dirLock, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	path := filepath.Join(dataDir, "wharf.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := "unknown"
			if b, rerr := os.ReadFile(path); rerr == nil && len(strings.TrimSpace(string(b))) > 0 {
				pid = strings.TrimSpace(string(b))
			}
			return nil, fmt.Errorf("data directory %s is in use by another wharf server (pid %s)", dataDir, pid)
		}
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	// The pid is informational only (for the error above); the flock is the lock.
	l := &dirLock{f: f}
	if err := f.Truncate(0); err != nil {
		l.release()
		return nil, fmt.Errorf("store: write lock file: %w", err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		l.release()
		return nil, fmt.Errorf("store: write lock file: %w", err)
	}
	return l, nil
}

// release clears the pid and unlocks. Failures here cannot be acted on: the
// lock is dropped by the kernel when the descriptor closes either way.
func (l *dirLock) release() {
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}
