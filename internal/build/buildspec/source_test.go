package buildspec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const echoSpec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo from-%s\n"

// writeBuildspec is a Prepare that "downloads" the source: it writes
// buildspec.yml into dir, logs, then loads it as an agent would.
func writeBuildspec(dir, content string) func(context.Context, func(string)) (*Spec, error) {
	return func(_ context.Context, log func(string)) (*Spec, error) {
		log("Downloading source")
		if err := os.WriteFile(filepath.Join(dir, "buildspec.yml"), []byte(content), 0o644); err != nil {
			return nil, err
		}
		return ParseFile(filepath.Join(dir, "buildspec.yml"))
	}
}

func TestPrepare(t *testing.T) {
	const failedEarly = "DOWNLOAD_SOURCE:FAILED FINALIZING:SUCCEEDED COMPLETED:"
	argument, err := Parse([]byte(fmt.Sprintf(echoSpec, "argument")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		spec    *Spec // Run's argument
		prepare func(dir string) func(context.Context, func(string)) (*Spec, error)
		status  string
		phases  string
		context Context // of DOWNLOAD_SOURCE
		output  []string
		logHas  []string
	}{
		{
			name: "the buildspec is loaded from the downloaded source",
			prepare: func(dir string) func(context.Context, func(string)) (*Spec, error) {
				return writeBuildspec(dir, fmt.Sprintf(echoSpec, "source"))
			},
			status: StatusSucceeded, phases: okPhases,
			output: []string{"from-source"},
			logHas: []string{"Phase is DOWNLOAD_SOURCE", "Downloading source"}, // agent lines: output has only the command's
		},
		{
			name: "the loaded buildspec replaces the argument",
			spec: argument,
			prepare: func(dir string) func(context.Context, func(string)) (*Spec, error) {
				return writeBuildspec(dir, fmt.Sprintf(echoSpec, "source"))
			},
			status: StatusSucceeded, phases: okPhases,
			output: []string{"from-source"},
		},
		{
			name: "a nil spec keeps the argument",
			spec: argument,
			prepare: func(string) func(context.Context, func(string)) (*Spec, error) {
				return func(context.Context, func(string)) (*Spec, error) { return nil, nil }
			},
			status: StatusSucceeded, phases: okPhases,
			output: []string{"from-argument"},
		},
		{
			name: "an invalid buildspec is a YAML_FILE_ERROR naming the line",
			spec: argument,
			prepare: func(dir string) func(context.Context, func(string)) (*Spec, error) {
				return writeBuildspec(dir, "version: 0.2\nphases:\n  build:\n    commands:\n      - echo a: b\n")
			},
			status: StatusFailed, phases: failedEarly,
			context: Context{"YAML_FILE_ERROR", "Expected Commands[0] to be of string type: found subkeys instead, " +
				"check indentation or use quotes to escape colons at line 5"},
			logHas: []string{"Phase context status code: YAML_FILE_ERROR Message: Expected Commands[0]"},
		},
		{
			name: "a missing buildspec is a YAML_FILE_ERROR",
			prepare: func(dir string) func(context.Context, func(string)) (*Spec, error) {
				return func(context.Context, func(string)) (*Spec, error) {
					return ParseFile(filepath.Join(dir, "buildspec.yml"))
				}
			},
			status: StatusFailed, phases: failedEarly,
			context: Context{"YAML_FILE_ERROR", "open " + "DIR/buildspec.yml: no such file or directory"},
		},
		{
			name: "a wrapped ErrYAMLFile is a YAML_FILE_ERROR",
			prepare: func(string) func(context.Context, func(string)) (*Spec, error) {
				return func(context.Context, func(string)) (*Spec, error) {
					return nil, fmt.Errorf("%w: buildspec override ci/missing.yml not found", ErrYAMLFile)
				}
			},
			status: StatusFailed, phases: failedEarly,
			context: Context{"YAML_FILE_ERROR", "buildspec override ci/missing.yml not found"},
		},
		{
			name: "a download error is a CLIENT_ERROR",
			spec: argument,
			prepare: func(string) func(context.Context, func(string)) (*Spec, error) {
				return func(context.Context, func(string)) (*Spec, error) {
					return nil, errors.New("git clone: repository not found")
				}
			},
			status: StatusFailed, phases: failedEarly,
			context: Context{"CLIENT_ERROR", "git clone: repository not found"},
		},
		{
			name:   "no buildspec at all",
			status: StatusFailed, phases: failedEarly,
			context: Context{"CLIENT_ERROR", "no buildspec to run"},
		},
		{
			name: "a download cut by the timeout times out",
			prepare: func(string) func(context.Context, func(string)) (*Spec, error) {
				return func(ctx context.Context, _ func(string)) (*Spec, error) {
					<-ctx.Done()
					return nil, ctx.Err()
				}
			},
			status:  StatusTimedOut,
			phases:  "DOWNLOAD_SOURCE:TIMED_OUT FINALIZING:SUCCEEDED COMPLETED:",
			context: Context{"BUILD_TIMED_OUT", "Build has timed out. "},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, log := t.TempDir(), &buildLog{}
			opts := RunOptions{Dir: dir, Log: log.add, Timeout: 30 * time.Second}
			if tc.status == StatusTimedOut {
				opts.Timeout = 200 * time.Millisecond
			}
			if tc.prepare != nil {
				opts.Prepare = tc.prepare(dir)
			}
			res := Run(context.Background(), tc.spec, opts)
			if res.Status != tc.status {
				t.Errorf("status %s, want %s\n%s", res.Status, tc.status, log.text())
			}
			if got := phases(res); got != tc.phases {
				t.Errorf("phases %s, want %s", got, tc.phases)
			}
			want := Context{tc.context.StatusCode, strings.ReplaceAll(tc.context.Message, "DIR", dir)}
			if got := res.Phases[0].Contexts; len(got) != 1 || got[0] != want {
				t.Errorf("DOWNLOAD_SOURCE contexts %q, want %q", got, want)
			}
			if got := log.output(); strings.Join(got, "\n") != strings.Join(tc.output, "\n") {
				t.Errorf("output %q, want %q\n%s", got, tc.output, log.text())
			}
			for _, s := range tc.logHas {
				if !strings.Contains(log.text(), s) {
					t.Errorf("log lacks %q:\n%s", s, log.text())
				}
			}
		})
	}
}

func TestOnPhaseReportsLiveProgress(t *testing.T) {
	var mu sync.Mutex // Log is called from the shell's reader, OnPhase from Run's goroutine
	var events []string
	var ended []Phase
	log := &buildLog{}
	res, _, _ := runSpec(t, `version: 0.2
phases:
  build:
    commands:
      - echo building
      - "false"
`, func(o *RunOptions) {
		o.Log = func(l string) {
			log.add(l)
			if !strings.HasPrefix(l, "[Container]") {
				mu.Lock()
				events = append(events, "output "+l)
				mu.Unlock()
			}
		}
		o.OnPhase = func(p Phase) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, p.Type+" "+p.Status)
			if p.Status == StatusInProgress {
				if !p.End.IsZero() || p.Contexts != nil || p.Start.IsZero() {
					t.Errorf("in-progress phase %+v", p)
				}
				return
			}
			ended = append(ended, p)
		}
	})
	want := []string{
		"DOWNLOAD_SOURCE IN_PROGRESS", "DOWNLOAD_SOURCE SUCCEEDED",
		"INSTALL IN_PROGRESS", "INSTALL SUCCEEDED",
		"PRE_BUILD IN_PROGRESS", "PRE_BUILD SUCCEEDED",
		"BUILD IN_PROGRESS", "output building", "BUILD FAILED",
		"POST_BUILD IN_PROGRESS", "POST_BUILD SUCCEEDED",
		"UPLOAD_ARTIFACTS IN_PROGRESS", "UPLOAD_ARTIFACTS SUCCEEDED",
		"FINALIZING IN_PROGRESS", "FINALIZING SUCCEEDED",
		"COMPLETED ",
	}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("events\n  %q\nwant\n  %q\n%s", events, want, log.text())
	}
	if !reflect.DeepEqual(ended, res.Phases) {
		t.Errorf("reported phases\n  %+v\ndiffer from the result's\n  %+v", ended, res.Phases)
	}
}

func TestCallerPhasesBeforeDownloadSource(t *testing.T) {
	// The agent reports SUBMITTED, QUEUED and PROVISIONING itself, before
	// Run, and prepends them to the result.
	res, _, _ := runSpec(t, fmt.Sprintf(echoSpec, "x"), nil)
	before := []Phase{{Type: PhaseSubmitted, Status: StatusSucceeded}, {Type: PhaseQueued, Status: StatusSucceeded},
		{Type: PhaseProvisioning, Status: StatusSucceeded}}
	res.Phases = append(before, res.Phases...)
	want := "SUBMITTED:SUCCEEDED QUEUED:SUCCEEDED PROVISIONING:SUCCEEDED " + okPhases
	if got := phases(res); got != want || res.Status != StatusSucceeded {
		t.Errorf("%s %s, want %s", res.Status, got, want)
	}
	// The transitions the agent walks before Run are CodeBuild's too.
	next := PhaseSubmitted
	var walked []string
	for next != PhaseDownloadSource && len(walked) < 5 {
		walked = append(walked, next)
		next = NextPhase(next, StatusSucceeded, "")
	}
	if got := strings.Join(walked, " "); got != "SUBMITTED QUEUED PROVISIONING" {
		t.Errorf("walked %s", got)
	}
}

// TestRunNeverPanics runs odd combinations of inputs with every callback
// nil: each build must end COMPLETED with a status, without a panic.
func TestRunNeverPanics(t *testing.T) {
	full, err := Parse([]byte(`version: 0.2
env:
  exported-variables: [A]
  parameter-store:
    P: /p
phases:
  build:
    commands:
      - A=1
artifacts:
  name: a-$A
  files: ['**/*']
cache:
  paths: ['c/**/*']
`))
	if err != nil {
		t.Fatal(err)
	}
	specs := map[string]*Spec{"nil spec": nil, "empty spec": {}, "full spec": full}
	prepares := map[string]func(context.Context, func(string)) (*Spec, error){
		"no prepare":   nil,
		"nil result":   func(context.Context, func(string)) (*Spec, error) { return nil, nil },
		"error":        func(context.Context, func(string)) (*Spec, error) { return nil, errors.New("x") },
		"empty result": func(context.Context, func(string)) (*Spec, error) { return &Spec{}, nil },
	}
	shells := map[string]func(ShellProcess) *exec.Cmd{
		"host":              nil,
		"no shell command":  func(ShellProcess) *exec.Cmd { return nil },
		"missing container": func(ShellProcess) *exec.Cmd { return exec.Command("/nonexistent/docker") },
	}
	for sn, spec := range specs {
		for pn, prepare := range prepares {
			for shn, shell := range shells {
				t.Run(sn+"/"+pn+"/"+shn, func(t *testing.T) {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("panic: %v", p)
						}
					}()
					res := Run(context.Background(), spec, RunOptions{
						Dir: t.TempDir(), Prepare: prepare, ShellCommand: shell, CacheDir: t.TempDir(),
						Secrets: fakeSecrets{"parameter-store//p": "v"}, Timeout: 10 * time.Second,
					})
					last := res.Phases[len(res.Phases)-1]
					if last.Type != PhaseCompleted || res.Status == "" {
						t.Errorf("result %+v", res)
					}
				})
			}
		}
	}
}

func TestResolvedSourceVersionAfterPrepare(t *testing.T) {
	dir := t.TempDir()
	resolved := ""
	spec := "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"rev=$CODEBUILD_RESOLVED_SOURCE_VERSION\"\n"
	log := &buildLog{}
	res := Run(context.Background(), nil, RunOptions{
		Dir: dir, Log: log.add,
		Prepare: func(ctx context.Context, logf func(string)) (*Spec, error) {
			resolved = "0123456789abcdef0123456789abcdef01234567" // what a git checkout found
			return writeBuildspec(dir, spec)(ctx, logf)
		},
		ResolvedSourceVersion: func() string { return resolved },
	})
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s\n%s", res.Status, log.text())
	}
	if !strings.Contains(log.text(), "rev=0123456789abcdef0123456789abcdef01234567") {
		t.Fatalf("CODEBUILD_RESOLVED_SOURCE_VERSION not set from the download:\n%s", log.text())
	}
}
