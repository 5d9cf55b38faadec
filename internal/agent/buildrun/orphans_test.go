package buildrun

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func TestOrphanPIDs(t *testing.T) {
	work := t.TempDir()
	start := func(ws string) int {
		cmd := exec.Command("sleep", "60")
		cmd.Env = append(os.Environ(), envWorkspace+"="+filepath.Join(work, ws))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd.Process.Pid
	}
	orphan, running := start("uuid-orphan"), start("uuid-running")
	other := exec.Command("sleep", "60")
	other.Env = append(os.Environ(), envWorkspace+"=/elsewhere/uuid-orphan")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })

	got := orphanPIDs("/proc", work, func(name string) bool { return name == "uuid-running" })
	if !slices.Contains(got, orphan) {
		t.Fatalf("orphan %d not found in %v", orphan, got)
	}
	if slices.Contains(got, running) || slices.Contains(got, other.Process.Pid) {
		t.Fatalf("orphans %v include a running build's process or another agent's", got)
	}
}
