package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wharfhq/wharf/bench/internal/benchkit"
)

// quickstart is one scripts/quickstart.sh set-up: its data directory and
// ports, and the processes it started.
type quickstart struct {
	root     string // the repository
	tmp      string // removed at the end
	data     string // WHARF_DATA
	port     int    // WHARF_PORT: API, registry, git
	lbPort   int    // WHARF_LB_PORT: the listener
	pids     map[int]bool
	imageTag string // registry/hello: prefix of the images to remove
}

// line is one line of the quickstart's output and when it was read.
type line struct {
	at   time.Duration // from the start of the script
	text string
}

// coldRun is the quickstart's run and its first pipeline execution.
type coldRun struct {
	start time.Time
	total time.Duration
	lines []line
	push  pushSample
}

func newQuickstart(ctx context.Context, o options) (*quickstart, error) {
	root, err := benchkit.ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(o.tmpDir, "pipelinebench-")
	if err != nil {
		return nil, err
	}
	q := &quickstart{root: root, tmp: tmp, data: filepath.Join(tmp, "qs"), pids: map[int]bool{}}
	for q.port == q.lbPort {
		if q.port, err = benchkit.FreePort(); err != nil {
			return nil, err
		}
		if q.lbPort, err = benchkit.FreePort(); err != nil {
			return nil, err
		}
	}
	q.imageTag = fmt.Sprintf("127.0.0.1:%d/hello:", q.port)
	return q, nil
}

func (q *quickstart) env() []string {
	return append(os.Environ(), "WHARF_DATA="+q.data, fmt.Sprintf("WHARF_PORT=%d", q.port), fmt.Sprintf("WHARF_LB_PORT=%d", q.lbPort))
}

func (q *quickstart) script(args ...string) *exec.Cmd {
	cmd := exec.Command("bash", append([]string{filepath.Join(q.root, "scripts", "quickstart.sh")}, args...)...)
	cmd.Dir, cmd.Env = q.root, q.env()
	return cmd
}

func (q *quickstart) endpoint() string { return fmt.Sprintf("http://127.0.0.1:%d", q.port) }
func (q *quickstart) lbURL() string    { return fmt.Sprintf("http://127.0.0.1:%d/", q.lbPort) }
func (q *quickstart) work() string     { return filepath.Join(q.data, "hello") }
func (q *quickstart) serverData() string {
	return filepath.Join(q.data, "data")
}

// run runs the quickstart, prints its output with times on stderr, and
// polls the load balancer meanwhile for the first pipeline's version.
func (q *quickstart) run(ctx context.Context, poll time.Duration) (coldRun, error) {
	var c coldRun
	lb := startLBPoller(ctx, q.lbURL(), poll)
	th := startQuickstartTargetPoller(ctx, q)
	cmd := q.script()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	start := time.Now()
	if err := cmd.Start(); err != nil {
		lb.stop()
		th.stop(time.Time{})
		return c, err
	}
	waitErr := make(chan error, 1)
	go func() { err := cmd.Wait(); pw.Close(); waitErr <- err }()
	// The git push is the "pushed <commit> <message> to <remote>" line
	// after "==> Pushing examples/hello …" (not the bootstrap image's).
	var pushed time.Time
	pushing := false
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		now := time.Now()
		l := line{at: now.Sub(start), text: sc.Text()}
		c.lines = append(c.lines, l)
		fmt.Fprintf(os.Stderr, "quickstart %6.1fs | %s\n", l.at.Seconds(), l.text)
		if strings.HasPrefix(l.text, "==> ") {
			pushing = strings.HasPrefix(l.text, "==> Pushing")
		}
		if pushing && pushed.IsZero() && strings.HasPrefix(strings.TrimSpace(l.text), "pushed ") {
			pushed = now
		}
	}
	err := <-waitErr
	c.total = time.Since(start)
	q.readPIDs()
	obs := lb.stop()
	roll := th.stop(pushed)
	if err != nil {
		return c, fmt.Errorf("scripts/quickstart.sh: %w (its output is above; server log %s)", err, filepath.Join(q.data, "server.log"))
	}
	if pushed.IsZero() {
		return c, errors.New("the quickstart's output has no \"pushed …\" line: did it push examples/hello?")
	}
	sha, err := gitOut(ctx, q.work(), "rev-parse", "HEAD")
	if err != nil {
		return c, err
	}
	c.push = pushSample{kind: "quickstart", commit: sha, pushed: pushed, lb: analyse(obs, "hello from "+sha[:7]), roll: roll,
		bootstrapServed: sub(obs.firstBody("hello from bootstrap"), start)}
	c.start = start
	return c, nil
}

// readPIDs remembers the server's and the load balancer's pids.
func (q *quickstart) readPIDs() {
	for _, f := range []string{filepath.Join(q.data, "server.pid"), filepath.Join(q.serverData(), "lb", "lb.lock")} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, string(b))); err == nil && pid > 0 {
			q.pids[pid] = true
		}
	}
}

// cleanup runs `quickstart.sh --clean`, stops whatever process of this
// quickstart survived it (by pid: those whose command line names our data
// directory), removes the hello images of our registry and the directory.
func (q *quickstart) cleanup(ctx context.Context, keepLog string) error {
	var errs []error
	if keepLog != "" {
		if b, err := os.ReadFile(filepath.Join(q.data, "server.log")); err == nil {
			errs = append(errs, os.WriteFile(keepLog, b, 0o644))
		}
		if b, err := os.ReadFile(filepath.Join(q.serverData(), "lb", "lb.log")); err == nil {
			errs = append(errs, os.WriteFile(keepLog+".lb", b, 0o644))
		}
	}
	q.readPIDs()
	progress("cleaning up: scripts/quickstart.sh --clean")
	if _, err := os.Stat(q.data); err == nil {
		out, err := q.script("--clean").CombinedOutput()
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			fmt.Fprintf(os.Stderr, "quickstart --clean | %s\n", l)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("quickstart.sh --clean: %w", err))
		}
	}
	for pid := range q.ourProcesses() {
		q.pids[pid] = true
	}
	for pid := range q.pids {
		if !q.isOurs(pid) {
			continue
		}
		progress("process %d (%s) survived --clean: stopping it", pid, cmdline(pid))
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 100 && q.isOurs(pid); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if q.isOurs(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for pid := range q.pids {
		if q.isOurs(pid) {
			errs = append(errs, fmt.Errorf("process %d (%s) is still running", pid, cmdline(pid)))
		}
	}
	out, err := exec.CommandContext(ctx, "docker", "images", "--format", "{{.Repository}}:{{.Tag}}").Output()
	if err != nil {
		errs = append(errs, fmt.Errorf("docker images: %w", err))
	}
	var imgs []string
	for _, img := range strings.Fields(string(out)) {
		if strings.HasPrefix(img, q.imageTag) {
			imgs = append(imgs, img)
		}
	}
	if len(imgs) > 0 {
		if out, err := exec.CommandContext(ctx, "docker", append([]string{"rmi", "-f"}, imgs...)...).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("docker rmi: %v: %s", err, out))
		}
		progress("removed %d images %s*", len(imgs), q.imageTag)
	}
	errs = append(errs, os.RemoveAll(q.tmp))
	return errors.Join(errs...)
}

// ourProcesses lists the processes whose command line names our data
// directory (the server, `wharf lb`, anything they started with it).
func (q *quickstart) ourProcesses() map[int]bool {
	out := map[int]bool{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if strings.Contains(cmdline(pid), q.serverData()) {
			out[pid] = true
		}
	}
	return out
}

// isOurs: pid is alive and still the wharf process of our data directory
// (not a reused pid).
func (q *quickstart) isOurs(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i+1:]), " Z") {
			return false // a zombie: exited
		}
	}
	c := cmdline(pid)
	return strings.Contains(c, "wharf") && strings.Contains(c, q.serverData())
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// gitOut runs git -C dir args and returns its trimmed output.
func gitOut(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Env = gitEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func gitEnv() []string {
	return append(os.Environ(), "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=pipelinebench", "GIT_AUTHOR_EMAIL=pipelinebench@wharf.invalid",
		"GIT_COMMITTER_NAME=pipelinebench", "GIT_COMMITTER_EMAIL=pipelinebench@wharf.invalid")
}
