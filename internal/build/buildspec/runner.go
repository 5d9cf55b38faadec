package buildspec

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// Build phase types, in lifecycle order. Run walks DOWNLOAD_SOURCE through
// COMPLETED; SUBMITTED, QUEUED and PROVISIONING happen before Run is called
// and are the caller's to report (prepend them to Result.Phases).
const (
	PhaseSubmitted       = "SUBMITTED"
	PhaseQueued          = "QUEUED"
	PhaseProvisioning    = "PROVISIONING"
	PhaseDownloadSource  = "DOWNLOAD_SOURCE"
	PhaseInstall         = "INSTALL"
	PhasePreBuild        = "PRE_BUILD"
	PhaseBuild           = "BUILD"
	PhasePostBuild       = "POST_BUILD"
	PhaseUploadArtifacts = "UPLOAD_ARTIFACTS"
	PhaseFinalizing      = "FINALIZING"
	PhaseCompleted       = "COMPLETED"
)

// Build and phase statuses. IN_PROGRESS is only seen by RunOptions.OnPhase;
// a Result holds finished phases.
const (
	StatusInProgress = "IN_PROGRESS"
	StatusSucceeded  = "SUCCEEDED"
	StatusFailed     = "FAILED"
	StatusFault      = "FAULT"
	StatusTimedOut   = "TIMED_OUT"
	StatusStopped    = "STOPPED"
)

// Secret kinds passed to Resolver.Resolve.
const (
	KindParameterStore = "parameter-store"
	KindSecretsManager = "secrets-manager"
)

// Resolver resolves parameter-store and secrets-manager references.
type Resolver interface {
	Resolve(kind, ref string) (string, error)
}

// RunOptions are the inputs of Run besides the buildspec.
type RunOptions struct {
	// Dir is the source directory; the shell starts here and artifacts
	// and relative cache paths are read from here, on the host. With
	// ShellCommand it must have the same path inside the container.
	Dir string
	// Env is the base environment (the image's); nil means a clean
	// PATH/HOME/LANG. Buildspec variables replace entries of it.
	Env []string
	// Variables are the project and StartBuild variables (NAME=value),
	// already merged by the caller; they beat the buildspec's.
	Variables []string
	Builtins  Builtins
	Secrets   Resolver
	Log       func(line string) // called from one goroutine at a time; nil discards
	Now       func() time.Time
	Timeout   time.Duration // 0: none
	// Prepare, when set, is called first thing in DOWNLOAD_SOURCE, to
	// download the source and load the buildspec from it (see ParseFile).
	// The spec it returns replaces Run's spec argument; a nil spec keeps
	// it. An error fails DOWNLOAD_SOURCE: YAML_FILE_ERROR when it wraps
	// ErrYAMLFile, CLIENT_ERROR otherwise. log writes an agent line. ctx
	// is cancelled when the build is stopped or times out.
	Prepare func(ctx context.Context, log func(string)) (*Spec, error)
	// ResolvedSourceVersion, when set, is asked after Prepare for the
	// commit the download resolved to: it becomes
	// CODEBUILD_RESOLVED_SOURCE_VERSION, which is only known by then.
	ResolvedSourceVersion func() string
	// OnPhase, when set, is called as each phase starts (Status
	// IN_PROGRESS, zero End, no Contexts) and as it ends, with the Phase
	// as Result.Phases will hold it; COMPLETED is reported once, with
	// Status "". It is called from Run's goroutine, so a slow OnPhase
	// slows the build.
	OnPhase func(p Phase)
	// ShellCommand, when set, creates the build's shell process instead
	// of running it on the host: typically `docker exec -i -w DIR -e NAME…
	// [-u USER] CONTAINER NAME ARGS…` with cmd.Env holding the values, so
	// none appears in argv (the client's own variables, such as
	// DOCKER_HOST, belong in cmd.Env too, where the build's must not
	// override them). Run sets the command's stdin, stdout, stderr and
	// process group. Killing the command must not be relied on to kill
	// the processes behind it: the caller removes the container when the
	// build is stopped or times out.
	ShellCommand func(p ShellProcess) *exec.Cmd
	// ScratchDir is where the shell's scripts and saved state (the
	// build's environment, secrets included) are kept, in a fresh
	// directory removed at the end; "" means os.TempDir(). With
	// ShellCommand it must have the same path inside the container; for
	// a run-as user there the build's directory is opened to all (the
	// host cannot know the container's user ids to chown it), so
	// ScratchDir must be traversable (0711) and its host parents closed.
	ScratchDir string
	// CacheDir, when set, holds the directories of the buildspec's
	// cache.paths between builds (LOCAL_CUSTOM_CACHE). With ShellCommand
	// it must have the same path inside the container.
	CacheDir string
	// Upload, when set, receives the collected artifacts in UPLOAD_ARTIFACTS.
	Upload func(ctx context.Context, artifacts []ArtifactOutput) error
}

// ShellProcess is the build shell Run asks RunOptions.ShellCommand for.
type ShellProcess struct {
	Name string   // "bash" or "sh", to be looked up in the container's PATH
	Args []string // the shell's arguments
	Dir  string   // working directory (RunOptions.Dir)
	// Env is the whole environment (NAME=value). Put the names in argv
	// (docker exec -e NAME) and the values in cmd.Env.
	Env  []string
	User string // run-as user (docker exec -u); "" for the container's default
}

// Result is what a build observed.
type Result struct {
	Status    string
	Phases    []Phase
	Exported  map[string]string
	Artifacts []ArtifactOutput
}

// Phase is one lifecycle phase as BatchGetBuilds reports it.
type Phase struct {
	Type     string
	Status   string // "" for COMPLETED
	Start    time.Time
	End      time.Time
	Contexts []Context
}

// Context explains a phase's status.
type Context struct {
	StatusCode string
	Message    string
}

// ArtifactOutput is one collected artifact; Identifier is "" for the
// primary artifact.
type ArtifactOutput struct {
	Identifier string
	Name       string // artifacts.name as the build's shell evaluated it
	Files      []File
}

var phaseOrder = []string{
	PhaseSubmitted, PhaseQueued, PhaseProvisioning,
	PhaseDownloadSource, PhaseInstall, PhasePreBuild, PhaseBuild, PhasePostBuild,
	PhaseUploadArtifacts, PhaseFinalizing, PhaseCompleted,
}

// NextPhase is CodeBuild's transition rule: the phase that follows phase
// when it ended with status, given the phase's on-failure setting.
func NextPhase(phase, status, onFailure string) string {
	next := PhaseCompleted
	for i, p := range phaseOrder[:len(phaseOrder)-1] {
		if p == phase {
			next = phaseOrder[i+1]
		}
	}
	switch {
	case phase == PhaseFinalizing || phase == PhaseCompleted:
		return PhaseCompleted
	case status == StatusTimedOut || status == StatusStopped:
		return PhaseFinalizing
	case status == StatusSucceeded:
		return next
	case onFailure == OnFailureContinue:
		return next
	case onFailure == OnFailureAbort:
		return PhaseFinalizing
	case phase == PhaseBuild: // a failed BUILD still runs POST_BUILD
		return PhasePostBuild
	case phase == PhasePostBuild: // UPLOAD_ARTIFACTS is still attempted
		return PhaseUploadArtifacts
	}
	return PhaseFinalizing // PROVISIONING … PRE_BUILD, UPLOAD_ARTIFACTS
}

type run struct {
	ctx  context.Context // cancelled when the build is interrupted
	spec *Spec           // nil until DOWNLOAD_SOURCE has one
	opts RunOptions
	log  *logger
	now  func() time.Time

	sh         *shell
	succeeding bool
	secrets    []Variable

	interrupt <-chan struct{}
	reason    func() string // TIMED_OUT or STOPPED once interrupt is closed
	exported  bool
	result    Result
	// cacheMoved are the cache directories restored by moving them into
	// the build; returnCache puts them back if nothing saves them.
	cacheMoved []cachePath
}

// Run executes the buildspec's phases in one long-lived shell (a fresh
// shell per command for version 0.1), on the host or, with
// opts.ShellCommand, in a container, and returns the observed statuses.
// spec may be nil when opts.Prepare loads it. Run returns when the build
// is COMPLETED; every host process the build started has been killed by
// then.
func Run(ctx context.Context, spec *Spec, opts RunOptions) Result {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &run{ctx: ctx, spec: spec, opts: opts, now: opts.Now, succeeding: true,
		log: &logger{out: opts.Log, now: opts.Now}}
	defer r.log.close()
	r.watchInterrupt(ctx, cancel)
	defer func() {
		if r.sh != nil {
			r.sh.close()
		}
	}()

	phase := PhaseDownloadSource
	for phase != PhaseCompleted {
		start := r.begin(phase)
		status, c, onFailure := r.runPhase(phase)
		if r.interrupted() && status == StatusSucceeded && phase != PhaseFinalizing {
			// Interrupted between commands: the phase did not finish.
			status, c = r.interruptStatus()
		}
		r.end(phase, status, start, c)
		phase = NextPhase(phase, status, onFailure)
	}
	completed := Phase{Type: PhaseCompleted, Start: r.now()}
	r.result.Phases = append(r.result.Phases, completed)
	r.notify(completed)
	r.result.Status = r.buildStatus()
	return r.result
}

// watchInterrupt closes r.interrupt and cancels the build's context when
// ctx is done or the timeout passes, whichever comes first.
func (r *run) watchInterrupt(ctx context.Context, cancel context.CancelFunc) {
	stop := make(chan struct{})
	var reason string
	go func() {
		var timeout <-chan time.Time
		if r.opts.Timeout > 0 {
			t := time.NewTimer(r.opts.Timeout)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-ctx.Done():
			reason = StatusStopped
		case <-timeout:
			reason = StatusTimedOut
		}
		close(stop)
		cancel()
	}()
	r.interrupt = stop
	r.reason = func() string { <-stop; return reason }
}

func (r *run) runPhase(phase string) (status string, c Context, onFailure string) {
	switch phase {
	case PhaseDownloadSource:
		status, c = r.downloadSource()
	case PhaseUploadArtifacts:
		r.captureExported()
		status, c = r.uploadArtifacts()
	case PhaseFinalizing:
		r.captureExported()
		status, c = r.finalize()
	default:
		status, c = r.commandPhase(phase)
		if ps := r.spec.Phases.phase(phase); ps != nil {
			onFailure = ps.OnFailure
		}
	}
	return status, c, onFailure
}

func (r *run) interrupted() bool {
	select {
	case <-r.interrupt:
		return true
	default:
		return false
	}
}

func (r *run) buildStatus() string {
	if r.interrupted() {
		return r.reason()
	}
	status := StatusSucceeded
	for _, p := range r.result.Phases {
		switch p.Status {
		case StatusFault:
			return StatusFault
		case StatusFailed:
			status = StatusFailed
		}
	}
	return status
}

// begin logs the start of a phase and reports it in progress.
func (r *run) begin(typ string) time.Time {
	start := r.now()
	if typ == PhaseDownloadSource {
		r.log.agent("Phase is DOWNLOAD_SOURCE")
	} else {
		r.log.agent("Entering phase " + typ)
	}
	r.notify(Phase{Type: typ, Status: StatusInProgress, Start: start})
	return start
}

// end logs the end of a phase, appends it to the result and reports it.
func (r *run) end(typ, status string, start time.Time, c Context) {
	r.log.agent(fmt.Sprintf("Phase complete: %s State: %s", typ, status))
	r.log.agent(fmt.Sprintf("Phase context status code: %s Message: %s", c.StatusCode, c.Message))
	p := Phase{Type: typ, Status: status, Start: start, End: r.now(), Contexts: []Context{c}}
	r.result.Phases = append(r.result.Phases, p)
	if status != StatusSucceeded {
		r.succeeding = false
	}
	r.notify(p)
}

func (r *run) notify(p Phase) {
	if r.opts.OnPhase != nil {
		r.opts.OnPhase(p)
	}
}

// reached reports whether the build has run phase typ.
func (r *run) reached(typ string) bool {
	for _, p := range r.result.Phases {
		if p.Type == typ {
			return true
		}
	}
	return false
}

// commandPhase runs a phase's commands then its finally block.
func (r *run) commandPhase(typ string) (string, Context) {
	ps := r.spec.Phases.phase(typ)
	if ps == nil {
		return StatusSucceeded, Context{}
	}
	runAs := r.spec.RunAs
	if ps.RunAs != "" {
		runAs = ps.RunAs
	}
	if err := r.sh.setUser(runAs); err != nil {
		return StatusFailed, Context{"CLIENT_ERROR", err.Error()}
	}
	status, ctx := r.commands(ps.Commands)
	if status != StatusTimedOut && status != StatusStopped && len(ps.Finally) > 0 {
		fstatus, fctx := r.commands(ps.Finally)
		if status == StatusSucceeded {
			status, ctx = fstatus, fctx
		} else if fstatus == StatusTimedOut || fstatus == StatusStopped {
			status, ctx = fstatus, fctx
		}
	}
	return status, ctx
}

// commands runs commands in order, stopping at the first failure.
func (r *run) commands(cmds []string) (string, Context) {
	for _, c := range cmds {
		if r.interrupted() {
			return r.interruptStatus()
		}
		r.log.agent("Running command " + c)
		rc, err := r.sh.run(c, r.succeeding, r.interrupt)
		if errors.Is(err, errInterrupted) {
			r.sh.kill()
			return r.interruptStatus()
		}
		if err != nil {
			r.succeeding = false
			return StatusFault, Context{"CLIENT_ERROR", err.Error()}
		}
		if rc != 0 {
			r.succeeding = false
			reason := fmt.Sprintf("exit status %d", rc)
			r.log.agent(fmt.Sprintf("Command did not exit successfully %s %s", c, reason))
			return StatusFailed, Context{"COMMAND_EXECUTION_ERROR",
				fmt.Sprintf("Error while executing command: %s. Reason: %s", c, reason)}
		}
	}
	return StatusSucceeded, Context{}
}

func (r *run) interruptStatus() (string, Context) {
	if r.reason() == StatusTimedOut {
		return StatusTimedOut, Context{"BUILD_TIMED_OUT", "Build has timed out. "}
	}
	return StatusStopped, Context{"BUILD_STOPPED", "Build was stopped"}
}

// captureExported freezes the exported variables once the command phases
// are over.
func (r *run) captureExported() {
	if r.exported || r.sh == nil || r.interrupted() {
		return
	}
	r.exported = true
	if len(r.spec.Env.ExportedVariables) == 0 {
		return
	}
	vals, err := r.sh.capture(r.spec.Env.ExportedVariables, r.succeeding, r.interrupt)
	if err != nil {
		r.log.agent("Warning: reading exported variables: " + err.Error())
		return
	}
	r.result.Exported = vals
}

// finalize saves the cache, then kills what the build left running.
func (r *run) finalize() (string, Context) {
	if r.sh != nil {
		if r.reached(PhaseBuild) && !r.interrupted() {
			r.saveCache()
		} else {
			r.returnCache()
		}
		r.sh.kill()
	}
	return StatusSucceeded, Context{}
}
