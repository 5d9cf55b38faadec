package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wharfProcess is a `wharf server` child process with its own data dir.
type wharfProcess struct {
	cmd     *exec.Cmd
	args    []string // after the binary
	dataDir string
	url     string
	exited  chan struct{} // closed when the process has been reaped
	waitErr error
}

// buildWharf compiles cmd/wharf of the module the benchmark is run from into
// dir and returns the binary's path.
func buildWharf(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "wharf")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/wharfhq/wharf/cmd/wharf")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/wharf: %w", err)
	}
	return bin, nil
}

// startWharf starts `wharf server` on a free loopback port (the server
// binds port 0 and logs the address it got) and waits until /healthz
// answers 200. Server warnings and errors are copied to stderr.
// env is added to the server's environment (GOGC, GOMEMLIMIT, GODEBUG…).
func startWharf(ctx context.Context, bin, dataDir string, env []string) (*wharfProcess, error) {
	args := []string{"server", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json"}
	args = append(args, controlPlaneOnly(ctx, bin)...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	// Own process group: a Ctrl-C in the terminal reaches only us, and we
	// stop the server in order (SIGTERM, then SIGKILL).
	// Pdeathsig: the server dies with us even if we are killed outright.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &wharfProcess{cmd: cmd, args: args, dataDir: dataDir, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go p.readLog(stderr, addr)
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.exited:
		return nil, fmt.Errorf("wharf server exited before it was ready: %v", p.waitErr)
	case <-deadline.C:
		p.stop()
		return nil, errors.New("wharf server did not report its address within 2m")
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
	for {
		resp, err := http.Get(p.url + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-p.exited:
			return nil, fmt.Errorf("wharf server exited before /healthz answered: %v", p.waitErr)
		case <-deadline.C:
			p.stop()
			return nil, errors.New("wharf /healthz did not answer 200 within 2m")
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		}
	}
}

// Server features that are on by default but are not the control plane:
// the in-process agent on the local Docker engine and the load balancer
// process (which outlives the server). The benchmark turns off those the
// binary knows, so that it measures the API and its store alone.
var dataPlaneFlags = []string{"--local-agent", "--load-balancer"}

// controlPlaneOnly returns the flags turning off dataPlaneFlags that
// `bin server --help` lists.
func controlPlaneOnly(ctx context.Context, bin string) []string {
	help, err := exec.CommandContext(ctx, bin, "server", "--help").Output()
	if err != nil {
		return nil
	}
	var out []string
	for _, f := range dataPlaneFlags {
		if bytes.Contains(help, []byte(f+" ")) {
			out = append(out, f+"=false")
		}
	}
	return out
}

// readLog scans the server's JSON log: it sends the listen address of the
// "wharf server ready" record to addr and copies warnings and errors to
// stderr.
func (p *wharfProcess) readLog(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var rec struct {
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Listen string `json:"listen"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			fmt.Fprintf(os.Stderr, "wharf: %s\n", line)
			continue
		}
		if rec.Msg == "wharf server ready" && rec.Listen != "" {
			select {
			case addr <- rec.Listen:
			default:
			}
		}
		if rec.Level == "WARN" || rec.Level == "ERROR" {
			fmt.Fprintf(os.Stderr, "wharf: %s\n", line)
		}
	}
}

func (p *wharfProcess) pid() int { return p.cmd.Process.Pid }

// stop asks the server to shut down (SIGTERM), kills it after 15s, and
// waits for it to be reaped.
func (p *wharfProcess) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// memory is a process's resident set from /proc/<pid>/status.
type memory struct {
	rss, hwm   int64 // bytes: VmRSS (now) and VmHWM (peak)
	anon, file int64 // bytes: RssAnon (heap, stacks) and RssFile (mapped files: etcd's bbolt db)
}

func readMemory(pid int) (memory, error) {
	buf, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	for line := range strings.Lines(string(buf)) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			m.rss = kb << 10
		case "VmHWM":
			m.hwm = kb << 10
		case "RssAnon":
			m.anon = kb << 10
		case "RssFile":
			m.file = kb << 10
		}
	}
	return m, nil
}

// userHZ is the unit of the CPU times in /proc/<pid>/stat; Linux fixes it
// at 100 for user space on every architecture Go supports.
const userHZ = 100

// processCPU returns the user+system CPU time a process has used so far.
func processCPU(pid int) (time.Duration, error) {
	buf, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces; fields after its
	// closing parenthesis are space-separated. utime and stime are fields
	// 14 and 15, i.e. 12th and 13th after the parenthesis.
	i := bytes.LastIndexByte(buf, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc/pid/stat")
	}
	f := strings.Fields(string(buf[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc/pid/stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}

// systemCPU returns the CPU time all processes have used so far (every
// field of the "cpu" line of /proc/stat except idle and iowait).
func systemCPU() time.Duration {
	buf, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(buf), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	// user nice system idle iowait irq softirq steal
	for i, v := range f[1:9] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ
}

// selfCPU returns the user+system CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// diskUsage returns the apparent size of the files under dir and the space
// allocated to them (what du reports).
func diskUsage(dir string) (apparent, allocated int64, err error) {
	err = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			allocated += st.Blocks * 512
		}
		if info.Mode().IsRegular() {
			apparent += info.Size()
		}
		return nil
	})
	return apparent, allocated, err
}
