package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CPU time is less disturbed than wall time by other work on the machine.
// A build's commands are descendants of the wharf server (the build's
// shell is its child and is reaped before the build completes), so the
// server's CPU including its waited-for children covers both; dockerd's
// work (docker build, push) is counted on neither side.

// serverPID finds the `wharf server` process serving dataDir.
func serverPID(dataDir string) (int, error) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		buf, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(buf, "\x00")), "\x00")
		if len(args) > 1 && args[1] == "server" && slices.Contains(args, dataDir) {
			return strconv.Atoi(filepath.Base(filepath.Dir(p)))
		}
	}
	return 0, fmt.Errorf("no wharf server process for %s", dataDir)
}

// cpuTimes are a process's user+system time and that of its waited-for
// children (/proc/PID/stat utime+stime, cutime+cstime).
type cpuTimes struct{ self, children time.Duration }

func (c cpuTimes) total() time.Duration { return c.self + c.children }

func (c cpuTimes) sub(d cpuTimes) cpuTimes { return cpuTimes{c.self - d.self, c.children - d.children} }

func processCPU(pid int) cpuTimes {
	buf, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTimes{}
	}
	// The fields after the command name, which is in parentheses:
	// state is field 3, utime field 14.
	f := strings.Fields(string(buf[bytes.LastIndexByte(buf, ')')+1:]))
	var ticks [4]int64
	for i, s := range f[11:15] {
		ticks[i], _ = strconv.ParseInt(s, 10, 64)
	}
	const tick = time.Second / 100 // USER_HZ
	return cpuTimes{time.Duration(ticks[0]+ticks[1]) * tick, time.Duration(ticks[2]+ticks[3]) * tick}
}
