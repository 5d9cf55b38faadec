package buildspec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildLog collects the lines a build logs.
type buildLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *buildLog) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *buildLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// output returns the lines that are command output, not agent lines.
func (l *buildLog) output() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if !strings.HasPrefix(s, "[Container] ") {
			out = append(out, s)
		}
	}
	return out
}

type fakeSecrets map[string]string

func (f fakeSecrets) Resolve(kind, ref string) (string, error) {
	v, ok := f[kind+"/"+ref]
	if !ok {
		return "", fmt.Errorf("%s %s not found", kind, ref)
	}
	return v, nil
}

// runSpec parses src and runs it in a fresh directory on the host.
func runSpec(t *testing.T, src string, opt func(*RunOptions)) (Result, *buildLog, string) {
	t.Helper()
	return runSpecIn(t, onHost, src, opt)
}

// phases renders the phase list as "TYPE:STATUS ..." for comparisons.
func phases(r Result) string {
	var b []string
	for _, p := range r.Phases {
		b = append(b, p.Type+":"+p.Status)
	}
	return strings.Join(b, " ")
}

const (
	okPhases = "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:SUCCEEDED " +
		"POST_BUILD:SUCCEEDED UPLOAD_ARTIFACTS:SUCCEEDED FINALIZING:SUCCEEDED COMPLETED:"
)

// behaviourCase is a build and what it must observe.
type behaviourCase struct {
	name     string
	spec     string
	opt      func(*RunOptions)
	status   string
	phases   string
	output   []string // command output lines, exactly
	exported map[string]string
	logHas   []string
	logLacks []string
}

// TestBuildspecBehaviour runs every case on the host, in a container with
// bash, and in a busybox image with env.shell sh: the shell protocol and
// CodeBuild's semantics hold in all three.
func TestBuildspecBehaviour(t *testing.T) {
	tests := []behaviourCase{
		{
			name: "variables",
			spec: `version: 0.2
env:
  variables:
    GREETING: hello
    LITERAL: "$HOME:/x"
    OVERRIDDEN: from-buildspec
phases:
  build:
    commands:
      - echo "$GREETING $LITERAL $OVERRIDDEN"`,
			opt:    func(o *RunOptions) { o.Variables = []string{"OVERRIDDEN=from-project"} },
			status: StatusSucceeded, phases: okPhases,
			output: []string{"hello $HOME:/x from-project"},
		},
		{
			name: "exported variables, plain and exported, set across phases",
			spec: `version: 0.2
env:
  variables:
    FROM_ENV: e
  exported-variables:
    - FROM_ENV
    - EXPORTED
    - PLAIN
    - CHANGED
    - NEVER_SET
phases:
  pre_build:
    commands:
      - export EXPORTED=x1
      - CHANGED=before
  build:
    commands:
      - PLAIN="two words"
  post_build:
    commands:
      - CHANGED=after`,
			status: StatusSucceeded, phases: okPhases,
			exported: map[string]string{"FROM_ENV": "e", "EXPORTED": "x1", "PLAIN": "two words", "CHANGED": "after"},
		},
		{
			name: "cd and export carry across commands and phases",
			spec: `version: 0.2
phases:
  install:
    commands:
      - mkdir -p a/b && cd a
      - cd b
      - export TAG=v1
      - COUNT=1
  build:
    commands:
      - basename "$PWD"
      - echo "$TAG $COUNT"
      - COUNT=$((COUNT+1)); echo $COUNT
  post_build:
    commands:
      - echo "post $(basename "$PWD") $COUNT"`,
			status: StatusSucceeded, phases: okPhases,
			output: []string{"b", "v1 1", "2", "post b 2"},
		},
		{
			name: "failing install skips to FINALIZING",
			spec: `version: 0.2
phases:
  install:
    commands:
      - echo install
      - "false"
      - echo not-after-failure
  pre_build:
    commands:
      - echo pre
  build:
    commands:
      - echo build
  post_build:
    commands:
      - echo post
artifacts:
  files: ['**/*']`,
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:FAILED FINALIZING:SUCCEEDED COMPLETED:",
			output: []string{"install"},
			logHas: []string{
				"Command did not exit successfully false exit status 1",
				"Phase complete: INSTALL State: FAILED",
				"Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: false. Reason: exit status 1",
			},
			logLacks: []string{"Entering phase PRE_BUILD", "Entering phase UPLOAD_ARTIFACTS"},
		},
		{
			name: "failing pre_build skips to FINALIZING",
			spec: `version: 0.2
phases:
  pre_build:
    commands:
      - exit 4
  build:
    commands:
      - echo build
  post_build:
    commands:
      - echo post`,
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:FAILED FINALIZING:SUCCEEDED COMPLETED:",
			output: nil,
			logHas: []string{"Error while executing command: exit 4. Reason: exit status 4"},
		},
		{
			name: "failing build still runs post_build and upload, SUCCEEDING is 0",
			spec: `version: 0.2
phases:
  build:
    commands:
      - echo "build $CODEBUILD_BUILD_SUCCEEDING"
      - exit 1
      - echo never
  post_build:
    commands:
      - echo "post $CODEBUILD_BUILD_SUCCEEDING"
      - '[ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ] || echo skipping push'
artifacts:
  files: out.txt`,
			opt: func(o *RunOptions) {
				os.WriteFile(filepath.Join(o.Dir, "out.txt"), []byte("x"), 0o644)
			},
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:FAILED " +
				"POST_BUILD:SUCCEEDED UPLOAD_ARTIFACTS:SUCCEEDED FINALIZING:SUCCEEDED COMPLETED:",
			output: []string{"build 1", "post 0", "skipping push"},
			logHas: []string{"Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: exit 1. Reason: exit status 1"},
		},
		{
			name: "exit in a command keeps the state of the commands before it",
			spec: `version: 0.2
phases:
  build:
    commands:
      - mkdir d && cd d && export KEPT=yes
      - exit 3
  post_build:
    commands:
      - echo "$(basename "$PWD") $KEPT"`,
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:FAILED " +
				"POST_BUILD:SUCCEEDED UPLOAD_ARTIFACTS:SUCCEEDED FINALIZING:SUCCEEDED COMPLETED:",
			output: []string{"d yes"},
			logHas: []string{"Reason: exit status 3"},
		},
		{
			name: "failing post_build still uploads artifacts",
			spec: `version: 0.2
phases:
  post_build:
    commands:
      - echo a > a.txt
      - "false"
artifacts:
  files: a.txt`,
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:SUCCEEDED " +
				"POST_BUILD:FAILED UPLOAD_ARTIFACTS:SUCCEEDED FINALIZING:SUCCEEDED COMPLETED:",
		},
		{
			name: "finally runs after a failure and the phase stays failed",
			spec: `version: 0.2
phases:
  pre_build:
    commands:
      - echo one
      - "false"
      - echo skipped
    finally:
      - echo cleanup
      - echo "succeeding=$CODEBUILD_BUILD_SUCCEEDING"
  build:
    commands:
      - echo build`,
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:FAILED FINALIZING:SUCCEEDED COMPLETED:",
			output: []string{"one", "cleanup", "succeeding=0"},
		},
		{
			name: "a failing finally fails a phase whose commands passed",
			spec: `version: 0.2
phases:
  build:
    commands:
      - echo ok
    finally:
      - exit 2
      - echo not-run
  post_build:
    commands:
      - echo post`,
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:FAILED " +
				"POST_BUILD:SUCCEEDED UPLOAD_ARTIFACTS:SUCCEEDED FINALIZING:SUCCEEDED COMPLETED:",
			output: []string{"ok", "post"},
		},
		{
			name: "on-failure CONTINUE goes on to the next phase",
			spec: `version: 0.2
phases:
  install:
    on-failure: CONTINUE
    commands:
      - "false"
  pre_build:
    commands:
      - echo pre
  build:
    commands:
      - echo build`,
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:FAILED PRE_BUILD:SUCCEEDED BUILD:SUCCEEDED " +
				"POST_BUILD:SUCCEEDED UPLOAD_ARTIFACTS:SUCCEEDED FINALIZING:SUCCEEDED COMPLETED:",
			output: []string{"pre", "build"},
		},
		{
			name: "on-failure ABORT in build skips post_build",
			spec: `version: 0.2
phases:
  build:
    on-failure: ABORT
    commands:
      - "false"
  post_build:
    commands:
      - echo post`,
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:FAILED FINALIZING:SUCCEEDED COMPLETED:",
		},
		{
			name: "no pipefail: a pipeline fails only when its last command fails",
			spec: `version: 0.2
phases:
  build:
    commands:
      - false | true
      - echo reached`,
			status: StatusSucceeded, phases: okPhases,
			output: []string{"reached"},
		},
		{
			name: "secrets are injected and masked in every line",
			spec: `version: 0.2
env:
  parameter-store:
    DB_PASS: /prod/db/pass
  secrets-manager:
    TOKEN: "prod/token:api"
phases:
  build:
    commands:
      - echo "pass is $DB_PASS"
      - echo "token=$TOKEN."
      - printf '%s\n' "$TOKEN" >&2`,
			opt: func(o *RunOptions) {
				o.Secrets = fakeSecrets{
					"parameter-store//prod/db/pass":  "hunter2",
					"secrets-manager/prod/token:api": "s3cr3t-t0ken",
				}
			},
			status: StatusSucceeded, phases: okPhases,
			output:   []string{"pass is ***", "token=***.", "***"},
			logLacks: []string{"hunter2", "s3cr3t-t0ken"},
		},
		{
			name: "an unresolvable secret fails DOWNLOAD_SOURCE",
			spec: `version: 0.2
env:
  parameter-store:
    X: /missing
phases:
  build:
    commands:
      - echo never`,
			opt:    func(o *RunOptions) { o.Secrets = fakeSecrets{} },
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:FAILED FINALIZING:SUCCEEDED COMPLETED:",
			logHas: []string{"Phase context status code: Decrypted Variables Error Message: parameter-store /missing not found"},
		},
		{
			name: "version 0.1 runs each command in a fresh shell",
			spec: `version: 0.1
phases:
  build:
    commands:
      - mkdir sub && cd sub && export V=set && pwd >/dev/null
      - echo "[$V] $(basename "$PWD")"
      - exit 1
  post_build:
    commands:
      - echo "post $CODEBUILD_BUILD_SUCCEEDING"`,
			opt:    func(o *RunOptions) { o.Dir = filepath.Join(o.Dir, "src"); os.Mkdir(o.Dir, 0o755) },
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:FAILED " +
				"POST_BUILD:SUCCEEDED UPLOAD_ARTIFACTS:SUCCEEDED FINALIZING:SUCCEEDED COMPLETED:",
			output: []string{"[] src", "post 0"},
		},
		{
			name: "env.shell sh",
			spec: `version: 0.2
env:
  shell: /bin/sh
phases:
  build:
    commands:
      - cd /
      - echo "$PWD"`,
			status: StatusSucceeded, phases: okPhases,
			output: []string{"/"},
		},
		{
			name: "output without a trailing newline and multi-line commands",
			spec: `version: 0.2
phases:
  build:
    commands:
      - printf partial
      - |
        for i in 1 2; do
          echo "line $i"
        done
      - |
        cat <<EOF
        heredoc
        EOF`,
			status: StatusSucceeded, phases: okPhases,
			// A multi-line command is logged line by line, as CodeBuild does.
			output: []string{"partial", `  echo "line $i"`, "done", "line 1", "line 2", "heredoc", "EOF", "heredoc"},
		},
		{
			name: "commands read no stdin",
			spec: `version: 0.2
phases:
  build:
    commands:
      - cat
      - echo after`,
			status: StatusSucceeded, phases: okPhases,
			output: []string{"after"},
		},
		{
			name: "built-in variables",
			spec: `version: 0.2
phases:
  build:
    commands:
      - echo "$CODEBUILD_BUILD_ID|$CODEBUILD_BUILD_NUMBER|$CODEBUILD_RESOLVED_SOURCE_VERSION|$CODEBUILD_START_TIME|$CODEBUILD_INITIATOR|${CODEBUILD_WEBHOOK_EVENT-unset}"
      - '[ "$CODEBUILD_SRC_DIR" = "$PWD" ] && echo src-ok'`,
			opt: func(o *RunOptions) {
				o.Env = append(defaultEnv(), "CODEBUILD_WEBHOOK_EVENT=PUSH")
				o.Builtins = Builtins{BuildID: "p:1234", BuildNumber: 7, ResolvedSourceVersion: "abc123",
					StartTime: time.UnixMilli(1700000000123), Initiator: "codepipeline/p"}
			},
			status: StatusSucceeded, phases: okPhases,
			output: []string{"p:1234|7|abc123|1700000000123|codepipeline/p|unset", "src-ok"},
		},
		{
			name: "no matching artifact fails UPLOAD_ARTIFACTS",
			spec: `version: 0.2
phases:
  build:
    commands:
      - "true"
artifacts:
  files:
    - missing.json`,
			status: StatusFailed,
			phases: "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:SUCCEEDED " +
				"POST_BUILD:SUCCEEDED UPLOAD_ARTIFACTS:FAILED FINALIZING:SUCCEEDED COMPLETED:",
			logHas: []string{"Phase context status code: CLIENT_ERROR Message: no matching artifact paths found"},
		},
	}
	for _, v := range variants {
		for _, tc := range tests {
			t.Run(v.name+"/"+tc.name, func(t *testing.T) {
				tc.check(t, v)
			})
		}
	}
}

func (tc behaviourCase) check(t *testing.T, v variant) {
	t.Helper()
	res, log, _ := runSpecIn(t, v, tc.spec, tc.opt)
	if res.Status != tc.status {
		t.Errorf("status = %s, want %s\nlog:\n%s", res.Status, tc.status, log.text())
	}
	if got := phases(res); got != tc.phases {
		t.Errorf("phases =\n  %s\nwant\n  %s", got, tc.phases)
	}
	if tc.output != nil || tc.exported == nil {
		if got := log.output(); strings.Join(got, "\n") != strings.Join(tc.output, "\n") {
			t.Errorf("output = %q, want %q\nlog:\n%s", got, tc.output, log.text())
		}
	}
	if tc.exported != nil {
		if fmt.Sprint(res.Exported) != fmt.Sprint(tc.exported) {
			t.Errorf("exported = %v, want %v", res.Exported, tc.exported)
		}
	}
	text := log.text()
	for _, s := range tc.logHas {
		if !strings.Contains(text, s) {
			t.Errorf("log lacks %q:\n%s", s, text)
		}
	}
	for _, s := range tc.logLacks {
		if strings.Contains(text, s) {
			t.Errorf("log has %q:\n%s", s, text)
		}
	}
}

func TestLogLineFormat(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC)
	res, log, _ := runSpec(t, "version: 0.2\nphases:\n  build:\n    commands:\n      - go version >/dev/null 2>&1 || true\n",
		func(o *RunOptions) { o.Now = func() time.Time { return now } })
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s", res.Status)
	}
	for _, want := range []string{
		"[Container] 2026/11/25 10:00:00.123456 Entering phase BUILD",
		"[Container] 2026/11/25 10:00:00.123456 Running command go version >/dev/null 2>&1 || true",
		"[Container] 2026/11/25 10:00:00.123456 Phase complete: BUILD State: SUCCEEDED",
		"[Container] 2026/11/25 10:00:00.123456 Phase context status code:  Message: ",
		"[Container] 2026/11/25 10:00:00.123456 Entering phase POST_BUILD",
	} {
		found := false
		for _, l := range log.lines {
			if l == want {
				found = true
			}
		}
		if !found {
			t.Errorf("no line %q in\n%s", want, log.text())
		}
	}
	for _, p := range res.Phases {
		if p.Type != PhaseCompleted && (len(p.Contexts) != 1 || !p.Start.Equal(now) || !p.End.Equal(now)) {
			t.Errorf("phase %+v", p)
		}
	}
}

// groupAlive reports whether a process of process group pgid is still
// running (zombies count as gone).
func groupAlive(t *testing.T, pgid int) bool {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

// pidAlive reports whether pid runs (zombies count as gone).
func pidAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	return !strings.HasPrefix(s[strings.LastIndexByte(s, ')')+2:], "Z")
}

// waitGone polls until the processes are gone: they were sent SIGKILL, and
// the kernel needs a moment to tear them down.
func waitGone(t *testing.T, alive func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive() {
		if time.Now().After(deadline) {
			t.Fatal("processes still running")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const sleeperSpec = `version: 0.2
phases:
  build:
    commands:
      - echo $$ > shell.pid
      - sleep 300 & echo $! > bg.pid; sleep 301
    finally:
      - echo finally-must-not-run
  post_build:
    commands:
      - echo post-must-not-run
`

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	res, log, dir := runSpec(t, sleeperSpec, func(o *RunOptions) { o.Timeout = 700 * time.Millisecond })
	if res.Status != StatusTimedOut {
		t.Fatalf("status %s\n%s", res.Status, log.text())
	}
	want := "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:TIMED_OUT FINALIZING:SUCCEEDED COMPLETED:"
	if got := phases(res); got != want {
		t.Errorf("phases %s, want %s", got, want)
	}
	if strings.Contains(log.text(), "must-not-run") {
		t.Errorf("ran after timeout:\n%s", log.text())
	}
	shellPid, bgPid := readPid(t, filepath.Join(dir, "shell.pid")), readPid(t, filepath.Join(dir, "bg.pid"))
	waitGone(t, func() bool { return groupAlive(t, shellPid) || pidAlive(bgPid) })
}

func TestCancelStopsAndKillsProcessGroup(t *testing.T) {
	spec, err := Parse([]byte(sleeperSpec))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var once sync.Once
	log := &buildLog{}
	opts := RunOptions{Dir: dir, Log: func(l string) {
		log.add(l)
		if strings.Contains(l, "Running command sleep 300") {
			once.Do(func() { close(started) })
		}
	}}
	done := make(chan Result)
	go func() { done <- Run(ctx, spec, opts) }()
	<-started
	// The command line is logged before it is fed to the shell; wait until
	// the background sleep exists.
	waitGone(t, func() bool { _, err := os.Stat(filepath.Join(dir, "bg.pid")); return err != nil })
	cancel()
	res := <-done
	if res.Status != StatusStopped {
		t.Fatalf("status %s\n%s", res.Status, log.text())
	}
	want := "DOWNLOAD_SOURCE:SUCCEEDED INSTALL:SUCCEEDED PRE_BUILD:SUCCEEDED BUILD:STOPPED FINALIZING:SUCCEEDED COMPLETED:"
	if got := phases(res); got != want {
		t.Errorf("phases %s, want %s", got, want)
	}
	shellPid, bgPid := readPid(t, filepath.Join(dir, "shell.pid")), readPid(t, filepath.Join(dir, "bg.pid"))
	waitGone(t, func() bool { return groupAlive(t, shellPid) || pidAlive(bgPid) })
}

func TestBackgroundProcessesKilledAtEnd(t *testing.T) {
	res, _, dir := runSpec(t, `version: 0.2
phases:
  build:
    commands:
      - echo $$ > shell.pid
      - sleep 300 &
`, nil)
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s", res.Status)
	}
	pid := readPid(t, filepath.Join(dir, "shell.pid"))
	waitGone(t, func() bool { return groupAlive(t, pid) })
}

func TestNextPhase(t *testing.T) {
	tests := []struct {
		phase, status, onFailure, want string
	}{
		{PhaseSubmitted, StatusSucceeded, "", PhaseQueued},
		{PhaseQueued, StatusSucceeded, "", PhaseProvisioning},
		{PhaseProvisioning, StatusSucceeded, "", PhaseDownloadSource},
		{PhaseProvisioning, StatusFailed, "", PhaseFinalizing},
		{PhaseQueued, StatusTimedOut, "", PhaseFinalizing},
		{PhaseDownloadSource, StatusSucceeded, "", PhaseInstall},
		{PhaseDownloadSource, StatusFailed, "", PhaseFinalizing},
		{PhaseInstall, StatusSucceeded, "", PhasePreBuild},
		{PhaseInstall, StatusFailed, "", PhaseFinalizing},
		{PhaseInstall, StatusFailed, OnFailureContinue, PhasePreBuild},
		{PhaseInstall, StatusFailed, OnFailureAbort, PhaseFinalizing},
		{PhasePreBuild, StatusFailed, "", PhaseFinalizing},
		{PhasePreBuild, StatusFailed, OnFailureContinue, PhaseBuild},
		{PhaseBuild, StatusSucceeded, "", PhasePostBuild},
		{PhaseBuild, StatusFailed, "", PhasePostBuild},
		{PhaseBuild, StatusFailed, OnFailureAbort, PhaseFinalizing},
		{PhasePostBuild, StatusFailed, "", PhaseUploadArtifacts},
		{PhasePostBuild, StatusFailed, OnFailureAbort, PhaseFinalizing},
		{PhasePostBuild, StatusSucceeded, "", PhaseUploadArtifacts},
		{PhaseUploadArtifacts, StatusFailed, "", PhaseFinalizing},
		{PhaseUploadArtifacts, StatusSucceeded, "", PhaseFinalizing},
		{PhaseBuild, StatusTimedOut, OnFailureContinue, PhaseFinalizing},
		{PhaseInstall, StatusStopped, "", PhaseFinalizing},
		{PhaseFinalizing, StatusSucceeded, "", PhaseCompleted},
	}
	for _, tc := range tests {
		if got := NextPhase(tc.phase, tc.status, tc.onFailure); got != tc.want {
			t.Errorf("NextPhase(%s, %s, %q) = %s, want %s", tc.phase, tc.status, tc.onFailure, got, tc.want)
		}
	}
}

func TestMissingResolver(t *testing.T) {
	res, _, _ := runSpec(t, "version: 0.2\nenv:\n  secrets-manager:\n    A: x\nphases:\n  build:\n    commands: [\"true\"]\n", nil)
	if res.Status != StatusFailed {
		t.Fatalf("status %s", res.Status)
	}
}

func TestRunAs(t *testing.T) {
	const spec = `version: 0.2
phases:
  pre_build:
    commands:
      - export CARRIED=yes
      - cd sub
  build:
    run-as: nobody
    commands:
      - echo "$(id -un) $CARRIED $(basename "$PWD")"
      - export FROM_NOBODY=1
  post_build:
    commands:
      - echo "$(id -un) $FROM_NOBODY"
`
	res, log, _ := runSpec(t, spec, func(o *RunOptions) {
		// nobody must be able to enter the source directory.
		for _, d := range []string{filepath.Dir(o.Dir), o.Dir, filepath.Join(o.Dir, "sub")} {
			os.Mkdir(d, 0o755)
			os.Chmod(d, 0o777)
		}
	})
	if os.Geteuid() != 0 {
		// Only root can switch users: the phase fails and says why.
		if res.Status != StatusFailed || !strings.Contains(log.text(), "the build agent must run as root") {
			t.Fatalf("status %s\n%s", res.Status, log.text())
		}
		return
	}
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s\n%s", res.Status, log.text())
	}
	want := []string{"nobody yes sub", "root 1"}
	if got := log.output(); !reflect.DeepEqual(got, want) {
		t.Errorf("output %q, want %q\n%s", got, want, log.text())
	}
}
