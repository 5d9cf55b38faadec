package buildrun

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// envWorkspace is set in every build process's environment to the build's
// workspace.
const envWorkspace = "WHARF_BUILD_WORKSPACE"

// orphanPIDs returns the processes whose environment names a workspace
// under workDir that keep(workspace name) does not claim: processes of
// LINUX_HOST builds whose agent died (a build's shell runs in its own
// process group, so it outlives a killed agent). procDir is /proc.
func orphanPIDs(procDir, workDir string, keep func(name string) bool) []int {
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return nil
	}
	prefix := []byte(envWorkspace + "=" + filepath.Clean(workDir) + "/")
	self := os.Getpid()
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join(procDir, e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if rest, ok := bytes.CutPrefix(kv, prefix); ok {
				name, _, _ := strings.Cut(string(rest), "/")
				if !keep(name) {
					out = append(out, pid)
				}
				break
			}
		}
	}
	return out
}

// killOrphans SIGKILLs the processes of builds this agent does not run.
func (r *Runner) killOrphans() {
	pids := orphanPIDs("/proc", r.cfg.WorkDir, func(name string) bool {
		for id := range r.running {
			if workspaceName(id) == name {
				return true
			}
		}
		return false
	})
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
			r.logger.Info("killed a process of an interrupted build", "pid", pid)
		}
	}
}
