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

// How long kill waits for a killed shell to be reaped and for its output
// to drain: a process that escaped the process group, or a container,
// may hold the output open for ever.
const (
	killWait  = 5 * time.Second
	drainWait = time.Second
)

// shell is the build's one long-lived shell (version 0.2), fed one command
// at a time. Each command is written to its own script file and sourced,
// followed by a sentinel line "<token> <status>" on the shell's output, so
// its output is logged in order and its exit status is known. After every
// command the exported variables and working directory are saved; when a
// command ends the shell itself (exit, set -e), an EXIT trap saves them
// too and says so with "<token> exit <status>", and a new shell is started
// from that saved state, as CodeBuild carries state across commands. The
// trap, not the process's exit, is what tells that the shell is gone:
// behind `docker exec` the client lives on while a background process in
// the container holds the output open. Only POSIX sh is used, so bash,
// dash and busybox ash all work.
//
// With perCommand (version 0.1) every command runs in a subshell, so no
// cd or export survives it.
type shell struct {
	shellConfig
	name    string // "bash" or "sh"
	bin     string // resolved on the host; "" in a container
	args    []string
	scratch string // scripts and saved state; removed by close
	log     *logger
	token   string

	cur   *shellProc
	procs []*shellProc
	n     int

	user string              // run-as of the running shell; "" is the agent's (container's) user
	cred *syscall.Credential // credentials for user on the host, nil for the agent's user
}

// shellConfig is what newShell needs to know.
type shellConfig struct {
	kind         string // env.shell: "sh", or bash
	workDir      string
	env          []string
	perCommand   bool
	scratchRoot  string                       // "" is os.TempDir()
	shellCommand func(ShellProcess) *exec.Cmd // nil: run on the host
}

type shellProc struct {
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	out        *os.File
	markers    chan marker
	exited     chan struct{}
	exitCode   int
	readerDone chan struct{}
}

// marker is a sentinel line: a command's exit status, and whether the
// shell exited with it.
type marker struct {
	rc     int
	exited bool
}

func newShell(cfg shellConfig, log *logger) (*shell, error) {
	name, args := "bash", []string{"--noprofile", "--norc"}
	if cfg.kind == "sh" {
		name, args = "sh", nil
	}
	var bin string
	if cfg.shellCommand == nil {
		// In a container the name is looked up in the container's PATH.
		var err error
		if bin, err = exec.LookPath(name); err != nil {
			return nil, fmt.Errorf("shell %s: %w", name, err)
		}
	}
	scratch, err := os.MkdirTemp(cfg.scratchRoot, "wharf-buildspec-")
	if err != nil {
		return nil, err
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		os.RemoveAll(scratch)
		return nil, err
	}
	s := &shell{
		shellConfig: cfg, name: name, bin: bin, args: args, scratch: scratch,
		log: log, token: "__wharf_done_" + hex.EncodeToString(b[:]),
	}
	if err := s.start(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *shell) path(name string) string { return filepath.Join(s.scratch, name) }

// newFile returns the path of a scratch file not used before.
func (s *shell) newFile(prefix string) string {
	s.n++
	return s.path(fmt.Sprintf("%s-%d", prefix, s.n))
}

// newCmd returns the shell process to start, not yet started.
func (s *shell) newCmd() (*exec.Cmd, error) {
	if s.shellCommand == nil {
		cmd := exec.Command(s.bin, s.args...)
		cmd.Dir = s.workDir
		cmd.Env = s.env
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
		return cmd, nil
	}
	cmd := s.shellCommand(ShellProcess{
		Name: s.name, Args: append([]string(nil), s.args...), Dir: s.workDir,
		Env: append([]string(nil), s.env...), User: s.user,
	})
	if cmd == nil {
		return nil, errors.New("ShellCommand returned no command")
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	return cmd, nil
}

// start launches a shell process in its own process group, restoring the
// state saved after the last command if there is one.
func (s *shell) start() error {
	if err := s.shareScratch(); err != nil {
		return err
	}
	cmd, err := s.newCmd()
	if err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, outW, outW // Run talks to the shell through these
	if !cmd.SysProcAttr.Setsid {                        // a session leader leads its group already
		cmd.SysProcAttr.Setpgid = true
	}
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	outW.Close()
	if err != nil {
		outR.Close()
		return err
	}
	p := &shellProc{
		cmd: cmd, stdin: stdin, out: outR,
		markers: make(chan marker, 1), exited: make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	go func() {
		err := cmd.Wait()
		p.exitCode = exitStatus(cmd, err)
		close(p.exited)
	}()
	go s.read(p)
	s.cur = p
	s.procs = append(s.procs, p)
	_, err = io.WriteString(stdin, s.prologue())
	return err
}

// prologue is fed to a new shell first: restore the saved state, and in
// version 0.2 set the EXIT trap that saves it when a command ends the
// shell.
func (s *shell) prologue() string {
	var b strings.Builder
	if _, err := os.Stat(s.path("state")); err == nil {
		fmt.Fprintf(&b, ". %s >/dev/null 2>&1; ", quote(s.path("state")))
		// The shell starts in workDir: it must exist in a container too,
		// where the saved directory cannot be checked from the host.
		fmt.Fprintf(&b, "IFS= read -r __wharf_pwd <%s 2>/dev/null && cd \"$__wharf_pwd\" 2>/dev/null; unset __wharf_pwd; ",
			quote(s.path("pwd")))
	}
	if !s.perCommand {
		trap := fmt.Sprintf("__wharf_rc=$?; %s printf '%%s exit %%s\\n' %s \"$__wharf_rc\"", s.saveState(), s.token)
		fmt.Fprintf(&b, "trap %s EXIT", quote(trap))
	}
	b.WriteString("\n")
	return b.String()
}

// saveState is the shell code that saves the exported variables and the
// working directory.
func (s *shell) saveState() string {
	return fmt.Sprintf("export -p >%s 2>/dev/null; pwd >%s 2>/dev/null;",
		quote(s.path("state")), quote(s.path("pwd")))
}

// shareScratch lets a container's run-as user use the scratch directory.
// The host does not know the container's user ids, so it cannot chown as
// it does on the host: it opens the directory to all instead. The caller
// keeps ScratchDir's host parents closed to other host users.
func (s *shell) shareScratch() error {
	if s.shellCommand == nil {
		return s.chownScratch()
	}
	if s.user == "" {
		return nil
	}
	if err := os.Chmod(s.scratch, 0o777); err != nil {
		return err
	}
	for _, name := range []string{"state", "pwd"} {
		if err := os.Chmod(s.path(name), 0o666); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// chownScratch gives the scratch directory to the host run-as user, who
// must read and write the saved state.
func (s *shell) chownScratch() error {
	if s.cred == nil {
		return nil
	}
	for _, name := range []string{"", "state", "pwd"} {
		if err := os.Chown(s.path(name), int(s.cred.Uid), int(s.cred.Gid)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
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
// markers. It never blocks on a marker nobody waits for, such as the EXIT
// trap's of a shell being retired, so output keeps being drained.
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
				select {
				case p.markers <- parseMarker(line[i+len(s.token):]):
				default:
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

// parseMarker parses what follows the token: " <rc>" or " exit <rc>".
func parseMarker(rest string) marker {
	rest = strings.TrimSpace(rest)
	m := marker{rc: -1}
	if after, ok := strings.CutPrefix(rest, "exit "); ok {
		m.exited, rest = true, after
	}
	if rc, err := strconv.Atoi(strings.TrimSpace(rest)); err == nil {
		m.rc = rc
	}
	return m
}

// run runs one command and returns its exit status.
func (s *shell) run(command string, succeeding bool, interrupt <-chan struct{}) (int, error) {
	if s.cur == nil {
		if err := s.start(); err != nil {
			return -1, err
		}
	}
	script := s.newFile("command")
	if err := os.WriteFile(script, []byte(command+"\n"), 0o644); err != nil {
		return -1, err
	}
	line := s.commandLine(script, succeeding)
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
	case m := <-p.markers:
		if m.exited {
			// The command ended the shell; the next one starts a new
			// shell. Don't wait for this one: it is killed at the end.
			s.cur = nil
		}
		return m.rc, nil
	case <-p.exited:
		return s.exitedStatus(p), nil
	case <-interrupt:
		return -1, errInterrupted
	}
}

// commandLine is the line fed to the shell to source script and report
// its status.
func (s *shell) commandLine(script string, succeeding bool) string {
	ok := 0
	if succeeding {
		ok = 1
	}
	var line string
	if s.perCommand {
		line = fmt.Sprintf("( export CODEBUILD_BUILD_SUCCEEDING=%d; . %s ) </dev/null; __wharf_rc=$?; ",
			ok, quote(script))
	} else {
		line = fmt.Sprintf("export CODEBUILD_BUILD_SUCCEEDING=%d; . %s </dev/null; __wharf_rc=$?; %s ",
			ok, quote(script), s.saveState())
	}
	return line + fmt.Sprintf("printf '%%s %%s\\n' %s \"$__wharf_rc\"\n", s.token)
}

// exitedStatus is the status of a command whose shell exited without the
// EXIT trap's marker (the command replaced the trap, or was killed).
func (s *shell) exitedStatus(p *shellProc) int {
	// Let its last output reach the log (bounded: a background process
	// may hold the pipe open).
	select {
	case <-p.readerDone:
	case <-time.After(500 * time.Millisecond):
	}
	s.cur = nil
	select {
	case m := <-p.markers:
		return m.rc
	default:
		return p.exitCode
	}
}

// capture reads the values of the named variables as the shell sees them;
// unset variables are left out.
func (s *shell) capture(names []string, succeeding bool, interrupt <-chan struct{}) (map[string]string, error) {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "if [ \"${%s+x}\" = x ]; then printf '%%s=%%s\\0' %s \"$%s\"; fi; ", n, n, n)
	}
	data, err := s.output(b.String(), succeeding, interrupt)
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

// expand evaluates each word with shell syntax, as the body of a
// here-document ($VAR, $(command), `command`, $((arithmetic)); quotes are
// kept as they are), in the build's shell. A word is one line.
func (s *shell) expand(words []string, succeeding bool, interrupt <-chan struct{}) ([]string, error) {
	eof := "__WHARF_EOF_" + s.token
	var b strings.Builder
	for _, w := range words {
		w, _, _ = strings.Cut(w, "\n")
		if n := len(w) - len(strings.TrimRight(w, `\`)); n%2 == 1 {
			w += `\` // an odd backslash would join the delimiter line
		}
		fmt.Fprintf(&b, "IFS= read -r __wharf_w <<%s\n%s\n%s\nprintf '%%s\\0' \"$__wharf_w\"\n", eof, w, eof)
	}
	data, err := s.output(b.String(), succeeding, interrupt)
	if err != nil {
		return nil, err
	}
	out := strings.Split(string(data), "\x00")
	if len(out) != len(words)+1 {
		return nil, fmt.Errorf("evaluating %q: got %d values", words, len(out)-1)
	}
	return out[:len(words)], nil
}

// output runs code in a subshell of the build's shell, so it changes no
// state, and returns what it wrote to its standard output.
func (s *shell) output(code string, succeeding bool, interrupt <-chan struct{}) ([]byte, error) {
	out := s.newFile("output")
	rc, err := s.run(fmt.Sprintf("( :\n%s\n) >%s", code, quote(out)), succeeding, interrupt)
	if err != nil {
		return nil, err
	}
	if rc != 0 {
		return nil, fmt.Errorf("exit status %d", rc)
	}
	return os.ReadFile(out)
}

// setUser makes the following commands run as the named user (run-as),
// carrying the shell state over to a new shell. "" is the agent's own user
// (in a container, the container's default user). Switching to another
// user on the host needs the agent to run as root.
func (s *shell) setUser(name string) error {
	if s.shellCommand != nil {
		if name != s.user {
			s.retire()
			s.user = name
		}
		return nil
	}
	cred, err := credential(name)
	if err != nil {
		return err
	}
	same := (cred == nil && s.cred == nil) ||
		(cred != nil && s.cred != nil && cred.Uid == s.cred.Uid && cred.Gid == s.cred.Gid)
	if !same {
		s.retire()
	}
	s.user, s.cred = name, cred
	return nil
}

// retire lets the current shell end so that the next command starts a
// new one. Its state was saved after its last command, so the EXIT trap
// is dropped rather than let race the new shell over the state file. Its
// background processes stay in its process group and are killed when the
// build ends; nothing waits for it, as behind `docker exec` it may not
// end before them.
func (s *shell) retire() {
	if p := s.cur; p != nil {
		_, _ = io.WriteString(p.stdin, "trap - EXIT; exit 0\n") // a shell already gone is fine
		p.stdin.Close()
		s.cur = nil
	}
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
// shells to exit and their output to drain. Every wait is bounded: in a
// container, what holds the output lives on until the caller removes the
// container.
func (s *shell) kill() {
	for _, p := range s.procs {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // already gone is fine
	}
	for _, p := range s.procs {
		select {
		case <-p.exited:
		case <-time.After(killWait):
			s.log.agent(fmt.Sprintf("Warning: shell process %d did not exit", p.cmd.Process.Pid))
		}
		select {
		case <-p.readerDone:
		case <-time.After(drainWait):
		}
		p.out.Close() // unblocks the reader
		<-p.readerDone
	}
	s.procs, s.cur = nil, nil
}

// close kills everything and removes the scratch directory.
func (s *shell) close() {
	s.kill()
	if err := os.RemoveAll(s.scratch); err != nil {
		s.log.agent("Warning: removing scratch directory: " + err.Error())
	}
}

// quote quotes s for the shell.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
