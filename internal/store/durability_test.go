package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/testutil/syncbuf"
)

// durabilityChildEnv, when set, turns TestDurabilityAfterKill into the child
// half of the test: it names the data directory to write into.
const durabilityChildEnv = "WHARF_STORE_DURABILITY_CHILD_DIR"

const durabilityKeys = 200

// TestDurabilityAfterKill proves that every acknowledged write survives
// SIGKILL of the process running embedded etcd, and that the data-directory
// lock dies with the process.
func TestDurabilityAfterKill(t *testing.T) {
	if dir := os.Getenv(durabilityChildEnv); dir != "" {
		durabilityChild(t, dir)
		return
	}

	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDurabilityAfterKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), durabilityChildEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("StdoutPipe: %v", err)
	}
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("child exited before reporting ok; stderr:\n%s", stderr.String())
			}
			if line == "ok" {
				break wait
			}
		case <-timeout:
			t.Fatalf("child did not report ok; stderr:\n%s", stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	var exitErr *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child wait = %v, want killed by SIGKILL", err)
	}

	// The kernel released the child's lock: this Open must succeed.
	s := openEmbedded(t, dir)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kvs, _, err := s.List(ctx, "durable/")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(kvs) != durabilityKeys {
		t.Fatalf("found %d keys after kill -9, want %d", len(kvs), durabilityKeys)
	}
	for i, kv := range kvs {
		if want := fmt.Sprintf("durable/%04d", i); kv.Key != want || string(kv.Value) != want {
			t.Fatalf("key %d = %s=%s, want %s", i, kv.Key, kv.Value, want)
		}
	}
}

// durabilityChild writes the keys one acknowledged Put at a time, reports
// "ok" on stdout and waits to be killed.
func durabilityChild(t *testing.T, dir string) {
	s := openEmbedded(t, dir)
	ctx := context.Background()
	for i := range durabilityKeys {
		key := fmt.Sprintf("durable/%04d", i)
		if _, err := s.Put(ctx, key, []byte(key)); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	fmt.Println("ok")
	// Wait for SIGKILL; never Close, so nothing is flushed on the way out.
	// The bound keeps an orphaned child from lingering if the parent dies.
	time.Sleep(time.Minute)
	t.Fatalf("durability child was not killed")
}
