//go:build unix

package lb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the name of the instance lock in a state directory.
//
// The contract with the server: a running `wharf lb` holds an exclusive
// flock(2) on DIR/lb.lock for its whole life and has written its pid into
// it. Before starting a data plane, the server calls LockHolder(DIR): if
// the lock is held, it reuses that process (pid) and starts none; if not,
// it starts one. The kernel drops the lock when the process dies (also on
// kill -9), so a stale pid in the file never blocks a restart.
const LockFile = "lb.lock"

// LockedError reports that another live process holds the lock.
type LockedError struct{ PID int }

func (e *LockedError) Error() string {
	return fmt.Sprintf("another wharf lb (pid %d) holds the state directory lock", e.PID)
}

// Lock is a held instance lock.
type Lock struct{ f *os.File }

// AcquireLock takes DIR/lb.lock without waiting and writes our pid into
// it, or returns a *LockedError naming the holder.
func AcquireLock(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := readPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{PID: pid}
		}
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("write pid to %s: %w", f.Name(), err)
		}
	}
	return &Lock{f: f}, nil
}

// Release drops the lock (the file stays, so a waiting reader never races
// a re-created one).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return errors.Join(err, l.f.Close())
}

// LockHolder reports whether a live wharf lb holds DIR/lb.lock and its pid.
func LockHolder(dir string) (pid int, running bool, err error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	pid = readPID(f)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return pid, true, nil
		}
		return pid, false, err
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return pid, false, nil
}

func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	return pid
}
