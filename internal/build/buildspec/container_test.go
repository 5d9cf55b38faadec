package buildspec

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a fake `docker exec` when run with
// fakeExecEnv=1 (see fakeDockerExec).
const (
	fakeExecEnv = "WHARF_TEST_FAKE_DOCKER_EXEC"
	fakePidsEnv = "WHARF_TEST_FAKE_CONTAINER_PIDS" // file the fake appends its command's pid to
)

func TestMain(m *testing.M) {
	if os.Getenv(fakeExecEnv) == "1" {
		os.Exit(fakeDockerExec(os.Args[1:]))
	}
	code := m.Run()
	if busybox.dir != "" {
		os.RemoveAll(busybox.dir)
	}
	os.Exit(code)
}

// fakeDockerExec behaves as `docker exec -i [-w DIR] [-u USER] [-e NAME]…
// CMD ARGS…` into a "container" that is the host: the command sees only
// the named variables, with their values from this process's environment;
// CMD is looked up in that environment's PATH; the command runs in a
// session of its own, so killing this client leaves it running as a
// container's processes would; and the client exits only once every
// process holding the command's output has closed it, as docker exec does.
func fakeDockerExec(args []string) int {
	var dir, userName string
	var env []string
	for len(args) >= 2 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-w":
			dir = args[1]
		case "-u":
			userName = args[1]
		case "-e":
			if v, ok := os.LookupEnv(args[1]); ok {
				env = append(env, args[1]+"="+v)
			}
		default:
			fmt.Fprintln(os.Stderr, "fake docker exec: unknown flag", args[0])
			return 125
		}
		args = args[2:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "fake docker exec: no command")
		return 125
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	os.Setenv("PATH", path)
	bin, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake docker exec:", err)
		return 127
	}
	cmd := exec.Command(bin, args[1:]...)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if userName != "" {
		u, err := user.Lookup(userName)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake docker exec:", err)
			return 126
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	cmd.Stdin = os.Stdin
	out := struct{ io.Writer }{os.Stdout} // not an *os.File: Wait waits for every writer
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "fake docker exec:", err)
		return 126
	}
	if f, err := os.OpenFile(os.Getenv(fakePidsEnv), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644); err == nil {
		fmt.Fprintln(f, cmd.Process.Pid)
		f.Close()
	}
	cmd.Wait()
	return exitStatus(cmd, nil)
}

// fakeContainer is what an agent's ShellCommand would be, with the fake
// docker exec. It records every command it makes, and kills what is left
// in the "container" when the test ends, as removing the container would.
type fakeContainer struct {
	t    *testing.T
	pids string

	mu    sync.Mutex
	procs []ShellProcess
	argvs [][]string
}

func newFakeContainer(t *testing.T) *fakeContainer {
	t.Helper()
	c := &fakeContainer{t: t, pids: filepath.Join(t.TempDir(), "pids")}
	t.Cleanup(c.remove)
	return c
}

func (c *fakeContainer) command(p ShellProcess) *exec.Cmd {
	args := []string{"-w", p.Dir}
	if p.User != "" {
		args = append(args, "-u", p.User)
	}
	for _, kv := range p.Env {
		name, _, _ := strings.Cut(kv, "=")
		args = append(args, "-e", name)
	}
	args = append(append(args, p.Name), p.Args...)
	self, err := os.Executable()
	if err != nil {
		c.t.Error(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(append([]string(nil), p.Env...), fakeExecEnv+"=1", fakePidsEnv+"="+c.pids)
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.argvs = append(c.argvs, cmd.Args)
	c.mu.Unlock()
	return cmd
}

// checkArgv fails the test if a variable's value is in a command line:
// values must travel in the environment only.
func (c *fakeContainer) checkArgv(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.procs {
		for j, arg := range c.argvs[i] {
			if j > 0 && (c.argvs[i][j-1] == "-w" || c.argvs[i][j-1] == "-u") {
				continue
			}
			for _, kv := range p.Env {
				name, v, _ := strings.Cut(kv, "=")
				if len(v) >= 4 && strings.Contains(arg, v) {
					t.Errorf("value of %s is in argv %q", name, c.argvs[i])
				}
			}
		}
	}
}

func (c *fakeContainer) remove() {
	b, _ := os.ReadFile(c.pids)
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(-pid, syscall.SIGKILL) // the shell's session; gone already is fine
		}
	}
}

// busybox is a directory holding busybox's applets, installed once per
// test binary and removed by TestMain.
var busybox struct {
	once sync.Once
	dir  string
	err  error
}

// busyboxPath returns the PATH of a busybox image: sh is busybox ash, and
// there is no bash.
func busyboxPath(t *testing.T) string {
	t.Helper()
	busybox.once.Do(func() {
		bb, err := exec.LookPath("busybox")
		if err != nil {
			busybox.err = fmt.Errorf("busybox is needed to test busybox sh images: apt-get install -y busybox-static (%w)", err)
			return
		}
		// 0755 from MkdirTemp's 0700: run-as users must reach it, as in an image.
		if busybox.dir, err = os.MkdirTemp("", "wharf-busybox-"); err == nil {
			err = os.Chmod(busybox.dir, 0o755)
		}
		if err != nil {
			busybox.err = err
			return
		}
		if out, err := exec.Command(bb, "--install", "-s", busybox.dir).CombinedOutput(); err != nil {
			busybox.err = fmt.Errorf("busybox --install: %v\n%s", err, out)
		}
	})
	if busybox.err != nil {
		t.Fatal(busybox.err)
	}
	return busybox.dir
}

// setPath replaces PATH in env (the default environment when nil).
func setPath(env []string, path string) []string {
	if env == nil {
		env = defaultEnv()
	}
	out := []string{"PATH=" + path}
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PATH=") {
			out = append(out, kv)
		}
	}
	return out
}

// variant is a way to run a build: on the host, or in a (fake) container
// with bash, or in a busybox image, where env.shell is forced to sh.
type variant struct {
	name      string
	container bool
	busybox   bool
}

var (
	onHost             = variant{name: "host"}
	inBashContainer    = variant{name: "container bash", container: true}
	inBusyboxContainer = variant{name: "container busybox sh", container: true, busybox: true}

	variants = []variant{onHost, inBashContainer, inBusyboxContainer}
)

// setup adapts a spec and options, after a test case's own options, to
// the variant; the container is nil on the host.
func (v variant) setup(t *testing.T, spec *Spec, o *RunOptions) *fakeContainer {
	t.Helper()
	if !v.container {
		return nil
	}
	c := newFakeContainer(t)
	o.ShellCommand = c.command
	if o.ScratchDir == "" {
		o.ScratchDir = t.TempDir()
	}
	if v.busybox {
		spec.Env.Shell = "sh"
		o.Env = setPath(o.Env, busyboxPath(t))
	}
	return c
}

// check checks, once the build is over, what the container was asked for.
func (v variant) check(t *testing.T, c *fakeContainer) {
	t.Helper()
	if c == nil {
		return
	}
	c.checkArgv(t)
	if v.busybox {
		for _, p := range c.procs {
			if p.Name != "sh" || len(p.Args) != 0 {
				t.Errorf("shell %s %q, want sh", p.Name, p.Args)
			}
		}
	}
}

// runSpecIn parses src and runs it in a fresh directory the variant's way.
func runSpecIn(t *testing.T, v variant, src string, opt func(*RunOptions)) (Result, *buildLog, string) {
	t.Helper()
	spec, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	dir := t.TempDir()
	log := &buildLog{}
	opts := RunOptions{Dir: dir, Log: log.add, Timeout: 30 * time.Second}
	if opt != nil {
		opt(&opts)
	}
	c := v.setup(t, spec, &opts)
	res := Run(context.Background(), spec, opts)
	v.check(t, c)
	return res, log, opts.Dir
}

func TestContainerShellStateAndOutput(t *testing.T) {
	// A command that ends the shell while a background process holds its
	// output: behind docker exec the client does not exit, so only the
	// EXIT trap tells the runner to go on in a new shell.
	const spec = `version: 0.2
env:
  variables:
    SECRETISH: value-that-must-stay-out-of-argv
phases:
  build:
    commands:
      - sleep 20 &
      - mkdir sub && cd sub && export KEPT=yes
      - exit 3
  post_build:
    commands:
      - echo "$KEPT $(basename "$PWD") $SECRETISH"
      - sleep 20 &
      - LOCAL=1
      - echo "still the same shell $LOCAL"
`
	for _, v := range []variant{inBashContainer, inBusyboxContainer} {
		t.Run(v.name, func(t *testing.T) {
			start := time.Now()
			res, log, _ := runSpecIn(t, v, spec, func(o *RunOptions) { o.Timeout = 15 * time.Second })
			if res.Status != StatusFailed {
				t.Fatalf("status %s\n%s", res.Status, log.text())
			}
			want := []string{"yes sub value-that-must-stay-out-of-argv", "still the same shell 1"}
			if got := log.output(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("output %q, want %q\n%s", got, want, log.text())
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("build took %s: it waited for the background process", d)
			}
		})
	}
}

func TestContainerStopDoesNotHang(t *testing.T) {
	// Killing the docker exec client leaves the container's processes
	// running (the fake's remove plays the container's removal): the
	// build must still end at once, TIMED_OUT.
	for _, v := range []variant{inBashContainer, inBusyboxContainer} {
		t.Run(v.name, func(t *testing.T) {
			start := time.Now()
			res, log, _ := runSpecIn(t, v, sleeperSpec, func(o *RunOptions) { o.Timeout = 700 * time.Millisecond })
			if res.Status != StatusTimedOut {
				t.Fatalf("status %s\n%s", res.Status, log.text())
			}
			want := "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:TIMED_OUT FINALIZING:SUCCEEDED COMPLETED:"
			if got := phases(res); got != want {
				t.Errorf("phases %s, want %s", got, want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("build took %s", d)
			}
		})
	}
}

func TestKillDoesNotWaitForEscapedOutput(t *testing.T) {
	// A process that left the shell's process group keeps the output
	// open; killing the build must not wait for it.
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Fatalf("setsid (util-linux) is needed: %v", err)
	}
	start := time.Now()
	res, log, dir := runSpec(t, `version: 0.2
phases:
  build:
    commands:
      - setsid sleep 30 & echo $! > escaped.pid
`, nil)
	t.Cleanup(func() { _ = syscall.Kill(readPid(t, filepath.Join(dir, "escaped.pid")), syscall.SIGKILL) })
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s\n%s", res.Status, log.text())
	}
	if d := time.Since(start); d > drainWait+4*time.Second {
		t.Errorf("build took %s", d)
	}
}

func TestContainerRunAs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fake docker exec switches users with setuid, which needs root")
	}
	const spec = `version: 0.2
phases:
  pre_build:
    commands:
      - export CARRIED=yes
      - cd sub
      - sleep 20 &
  build:
    run-as: nobody
    commands:
      - echo "$(id -un) $CARRIED $(basename "$PWD")"
      - export FROM_NOBODY=1
  post_build:
    commands:
      - echo "$(id -un) $FROM_NOBODY"
`
	for _, v := range []variant{inBashContainer, inBusyboxContainer} {
		t.Run(v.name, func(t *testing.T) {
			parsed, err := Parse([]byte(spec))
			if err != nil {
				t.Fatal(err)
			}
			dir, log := t.TempDir(), &buildLog{}
			// nobody must be able to enter the source and scratch
			// directories, as it could in a container.
			opts := RunOptions{Dir: filepath.Join(dir, "src"), ScratchDir: filepath.Join(dir, "scratch"),
				Log: log.add, Timeout: 30 * time.Second}
			for _, d := range []string{filepath.Dir(dir), dir, opts.Dir, filepath.Join(opts.Dir, "sub"), opts.ScratchDir} {
				os.Mkdir(d, 0o755)
				os.Chmod(d, 0o777)
			}
			c := v.setup(t, parsed, &opts)
			res := Run(context.Background(), parsed, opts)
			v.check(t, c)
			var users []string
			for _, p := range c.procs {
				users = append(users, p.User)
			}
			if want := []string{"", "nobody", ""}; strings.Join(users, ",") != strings.Join(want, ",") {
				t.Errorf("shells started as %q, want %q", users, want)
			}
			if res.Status != StatusSucceeded {
				t.Fatalf("status %s\n%s", res.Status, log.text())
			}
			want := []string{"nobody yes sub", "root 1"}
			if got := log.output(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("output %q, want %q\n%s", got, want, log.text())
			}
		})
	}
}
