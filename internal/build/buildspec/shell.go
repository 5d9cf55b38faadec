package buildspec

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errInterrupted is returned by shell.run when the build was stopped or
// timed out while the command ran.
var errInterrupted = errors.New("build interrupted")

// shell is the build's one long-lived shell (version 0.2), fed one command
// at a time. Each command is written to its own script file and sourced,
// followed by a sentinel line "<token> <status>" on the shell's output, so
// its output is logged in order and its exit status is known. After every
// command the exported variables and working directory are saved; when a
// command ends the shell itself (exit, set -e), a new shell is started from
// that saved state, as CodeBuild carries state across commands.
//
// With perCommand (version 0.1) every command runs in a subshell, so no
// cd or export survives it.
type shell struct {
	bin        string
	args       []string
	scratch    string // scripts and saved state; removed by close
	env        []string
	workDir    string
	perCommand bool
	log        *logger
	token      string

	cur   *shellProc
	procs []*shellProc
	n     int

	user string              // run-as of the running shell; "" is the agent's user
	cred *syscall.Credential // credentials for user, nil for the agent's user
}

type shellProc struct {
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	out        *os.File
	markers    chan int
	exited     chan struct{}
	exitCode   int
	readerDone chan struct{}
	quit       chan struct{}
}

func newShell(kind, workDir string, env []string, perCommand bool, log *logger) (*shell, error) {
	name, args := "bash", []string{"--noprofile", "--norc"}
	if kind == "sh" {
		name, args = "sh", nil
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("shell %s: %w", name, err)
	}
	scratch, err := os.MkdirTemp("", "wharf-buildspec-")
	if err != nil {
		return nil, err
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	s := &shell{
		bin: bin, args: args, scratch: scratch, env: env, workDir: workDir,
		perCommand: perCommand, log: log, token: "__wharf_done_" + hex.EncodeToString(b[:]),
	}
	return s, s.start()
}

func (s *shell) path(name string) string { return filepath.Join(s.scratch, name) }

// start launches a shell process in its own process group, restoring the
// state saved after the last command if there is one.
func (s *shell) start() error {
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	dir := s.workDir
	if b, err := os.ReadFile(s.path("pwd")); err == nil {
		if d := strings.TrimSuffix(string(b), "\n"); d != "" {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				dir = d
			}
		}
	}
	cmd := exec.Command(s.bin, s.args...)
	cmd.Dir = dir
	cmd.Env = s.env
	cmd.Stdout = outW
	cmd.Stderr = outW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	if s.cred != nil {
		// The other user's shell must read and write the saved state.
		for _, name := range []string{"", "state", "pwd"} {
			if err := os.Chown(s.path(name), int(s.cred.Uid), int(s.cred.Gid)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				outR.Close()
				outW.Close()
				return err
			}
		}
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	outW.Close()
	p := &shellProc{
		cmd: cmd, stdin: stdin, out: outR,
		markers: make(chan int, 1), exited: make(chan struct{}),
		readerDone: make(chan struct{}), quit: make(chan struct{}),
	}
	go func() {
		err := cmd.Wait()
		p.exitCode = exitStatus(cmd, err)
		close(p.exited)
	}()
	go s.read(p)
	s.cur = p
	s.procs = append(s.procs, p)
	if _, err := os.Stat(s.path("state")); err == nil {
		_, err = fmt.Fprintf(stdin, ". %s >/dev/null 2>&1\n", quote(s.path("state")))
		return err
	}
	return nil
}

func exitStatus(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState == nil {
		return -1
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

// read logs the shell's output line by line and turns sentinel lines into
// exit statuses.
func (s *shell) read(p *shellProc) {
	defer close(p.readerDone)
	br := bufio.NewReaderSize(p.out, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			line = strings.TrimSuffix(line, "\n")
			if i := strings.Index(line, s.token); i >= 0 {
				if i > 0 {
					s.log.raw(line[:i])
				}
				rc, convErr := strconv.Atoi(strings.TrimSpace(line[i+len(s.token):]))
				if convErr != nil {
					rc = -1
				}
				select {
				case p.markers <- rc:
				case <-p.quit:
					return
				}
			} else {
				s.log.raw(line)
			}
		}
		if err != nil {
			return
		}
	}
}

// run runs one command and returns its exit status.
func (s *shell) run(command string, succeeding bool, interrupt <-chan struct{}) (int, error) {
	if s.cur == nil {
		if err := s.start(); err != nil {
			return -1, err
		}
	}
	s.n++
	script := s.path(fmt.Sprintf("command-%d.sh", s.n))
	if err := os.WriteFile(script, []byte(command+"\n"), 0o644); err != nil {
		return -1, err
	}
	ok := 0
	if succeeding {
		ok = 1
	}
	var line string
	if s.perCommand {
		line = fmt.Sprintf("( export CODEBUILD_BUILD_SUCCEEDING=%d; . %s ) </dev/null; __wharf_rc=$?; ",
			ok, quote(script))
	} else {
		line = fmt.Sprintf("export CODEBUILD_BUILD_SUCCEEDING=%d; . %s </dev/null; __wharf_rc=$?; "+
			"export -p >%s 2>/dev/null; pwd >%s 2>/dev/null; ",
			ok, quote(script), quote(s.path("state")), quote(s.path("pwd")))
	}
	line += fmt.Sprintf("printf '%%s %%s\\n' %s \"$__wharf_rc\"\n", s.token)
	p := s.cur
	if _, err := io.WriteString(p.stdin, line); err != nil {
		// The shell is gone; start over from the saved state and retry once.
		s.cur = nil
		if err := s.start(); err != nil {
			return -1, err
		}
		p = s.cur
		if _, err := io.WriteString(p.stdin, line); err != nil {
			return -1, err
		}
	}
	select {
	case rc := <-p.markers:
		return rc, nil
	case <-p.exited:
		// The command ended the shell. Let its last output reach the log
		// (bounded: a background process may hold the pipe open).
		select {
		case <-p.readerDone:
		case <-time.After(500 * time.Millisecond):
		}
		select {
		case rc := <-p.markers:
			return rc, nil
		default:
		}
		s.cur = nil
		return p.exitCode, nil
	case <-interrupt:
		return -1, errInterrupted
	}
}

// capture reads the values of the named variables as the shell sees them;
// unset variables are left out.
func (s *shell) capture(names []string, succeeding bool, interrupt <-chan struct{}) (map[string]string, error) {
	out := s.path("exported")
	var b strings.Builder
	b.WriteString("{ ")
	for _, n := range names {
		fmt.Fprintf(&b, "if [ \"${%s+x}\" = x ]; then printf '%%s=%%s\\0' %s \"$%s\"; fi; ", n, n, n)
	}
	fmt.Fprintf(&b, ":; } >%s", quote(out))
	if _, err := s.run(b.String(), succeeding, interrupt); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	vals := map[string]string{}
	for _, kv := range strings.Split(string(data), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vals[k] = v
		}
	}
	return vals, nil
}

// setUser makes the following commands run as the named user (run-as),
// carrying the shell state over to a new shell. "" is the agent's own user.
// Switching to another user needs the agent to run as root.
func (s *shell) setUser(name string) error {
	cred, err := credential(name)
	if err != nil {
		return err
	}
	same := (cred == nil && s.cred == nil) ||
		(cred != nil && s.cred != nil && cred.Uid == s.cred.Uid && cred.Gid == s.cred.Gid)
	if same {
		s.user = name
		return nil
	}
	if p := s.cur; p != nil {
		// Let the current shell end; its background processes stay in its
		// process group and are killed when the build ends.
		p.stdin.Close()
		<-p.exited
		s.cur = nil
	}
	s.user, s.cred = name, cred
	return nil
}

// credential returns the credentials to run as the named user, nil when
// that is the agent's own user.
func credential(name string) (*syscall.Credential, error) {
	if name == "" {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		if u, err = user.LookupId(name); err != nil {
			return nil, fmt.Errorf("run-as %s: unknown user", name)
		}
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("run-as %s: unsupported uid %s", name, u.Uid)
	}
	if int(uid) == os.Geteuid() {
		return nil, nil
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("run-as %s: the build agent must run as root to switch users", name)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// kill kills the process groups of every shell started, waits for the
// shells to exit and their output to drain.
func (s *shell) kill() {
	for _, p := range s.procs {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	for _, p := range s.procs {
		<-p.exited
		select {
		case <-p.readerDone:
		case <-time.After(time.Second):
		}
		close(p.quit)
		p.out.Close()
		<-p.readerDone
	}
	s.procs, s.cur = nil, nil
}

// close kills everything and removes the scratch directory.
func (s *shell) close() {
	s.kill()
	os.RemoveAll(s.scratch)
}

// quote quotes s for the shell.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
