package buildspec

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Build phase types, in lifecycle order.
const (
	PhaseDownloadSource  = "DOWNLOAD_SOURCE"
	PhaseInstall         = "INSTALL"
	PhasePreBuild        = "PRE_BUILD"
	PhaseBuild           = "BUILD"
	PhasePostBuild       = "POST_BUILD"
	PhaseUploadArtifacts = "UPLOAD_ARTIFACTS"
	PhaseFinalizing      = "FINALIZING"
	PhaseCompleted       = "COMPLETED"
)

// Build and phase statuses.
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusFault     = "FAULT"
	StatusTimedOut  = "TIMED_OUT"
	StatusStopped   = "STOPPED"
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
	Dir string // source directory; the shell starts here
	// Env is the base environment (the image's); nil means a clean
	// PATH/HOME/LANG. Buildspec variables replace entries of it.
	Env []string
	// Variables are the project and StartBuild variables (NAME=value),
	// already merged by the caller; they beat the buildspec's.
	Variables []string
	Builtins  Builtins
	Secrets   Resolver
	Log       func(line string) // called from one goroutine at a time
	Now       func() time.Time
	Timeout   time.Duration // 0: none
	// Upload, when set, receives the collected artifacts in UPLOAD_ARTIFACTS.
	Upload func(ctx context.Context, artifacts []ArtifactOutput) error
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
	Name       string
	Files      []File
}

var phaseOrder = []string{
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
	return PhaseFinalizing // DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, UPLOAD_ARTIFACTS
}

type run struct {
	ctx  context.Context
	spec *Spec
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
}

// Run executes the buildspec's phases on the host, in one long-lived shell
// (a fresh shell per command for version 0.1), and returns the observed
// statuses. It returns when the build is COMPLETED; every process the build
// started has been killed by then.
func Run(ctx context.Context, spec *Spec, opts RunOptions) Result {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &run{ctx: ctx, spec: spec, opts: opts, now: opts.Now, succeeding: true,
		log: &logger{out: opts.Log, now: opts.Now}}
	defer r.log.close()

	stop := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	var reason string
	go func() {
		var timeout <-chan time.Time
		if opts.Timeout > 0 {
			t := time.NewTimer(opts.Timeout)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-ctx.Done():
			reason = StatusStopped
		case <-timeout:
			reason = StatusTimedOut
		case <-done:
			return
		}
		close(stop)
	}()
	r.interrupt = stop
	r.reason = func() string { <-stop; return reason }

	defer func() {
		if r.sh != nil {
			r.sh.close()
		}
	}()

	phase := PhaseDownloadSource
	for phase != PhaseCompleted {
		var status, onFailure string
		switch phase {
		case PhaseDownloadSource:
			status = r.downloadSource()
		case PhaseUploadArtifacts:
			r.captureExported()
			status = r.uploadArtifacts()
		case PhaseFinalizing:
			r.captureExported()
			status = r.finalize()
		default:
			status = r.commandPhase(phase)
			if ps := spec.Phases.phase(phase); ps != nil {
				onFailure = ps.OnFailure
			}
		}
		if r.interrupted() && status == StatusSucceeded && phase != PhaseFinalizing {
			// Interrupted between commands: the phase did not finish.
			p := &r.result.Phases[len(r.result.Phases)-1]
			status = r.reason()
			p.Status = status
		}
		phase = NextPhase(phase, status, onFailure)
	}
	r.result.Phases = append(r.result.Phases, Phase{Type: PhaseCompleted, Start: r.now()})
	r.result.Status = r.buildStatus()
	return r.result
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

// record logs the end of a phase and appends it to the result.
func (r *run) record(typ, status string, start time.Time, c Context) string {
	r.log.agent(fmt.Sprintf("Phase complete: %s State: %s", typ, status))
	r.log.agent(fmt.Sprintf("Phase context status code: %s Message: %s", c.StatusCode, c.Message))
	r.result.Phases = append(r.result.Phases, Phase{
		Type: typ, Status: status, Start: start, End: r.now(), Contexts: []Context{c},
	})
	if status != StatusSucceeded {
		r.succeeding = false
	}
	return status
}

func (r *run) downloadSource() string {
	start := r.now()
	r.log.agent("Phase is DOWNLOAD_SOURCE")
	r.log.agent("CODEBUILD_SRC_DIR=" + r.srcDir())
	r.log.agent("Processing environment variables")
	for _, ref := range []struct {
		kind, code string
		vars       []Variable
	}{
		{KindParameterStore, "Decrypted Variables Error", r.spec.Env.ParameterStore},
		{KindSecretsManager, "Secrets Manager Error", r.spec.Env.SecretsManager},
	} {
		for _, v := range ref.vars {
			if r.opts.Secrets == nil {
				return r.record(PhaseDownloadSource, StatusFailed, start,
					Context{ref.code, fmt.Sprintf("no secret store to resolve %s %q", ref.kind, v.Value)})
			}
			val, err := r.opts.Secrets.Resolve(ref.kind, v.Value)
			if err != nil {
				return r.record(PhaseDownloadSource, StatusFailed, start, Context{ref.code, err.Error()})
			}
			r.log.addMask(val)
			r.secrets = append(r.secrets, Variable{v.Name, val})
		}
	}
	r.log.agent("Moving to directory " + r.opts.Dir)
	n := 0
	for _, pk := range phaseKeys {
		if r.spec.Phases.phase(pk.typ) != nil {
			n++
		}
	}
	r.log.agent(fmt.Sprintf("Phases found in YAML: %d", n))
	for _, pk := range phaseKeys {
		if ps := r.spec.Phases.phase(pk.typ); ps != nil {
			r.log.agent(fmt.Sprintf(" %s: %d commands", pk.typ, len(ps.Commands)))
		}
	}
	env := buildEnv(r.opts.Env, r.spec.Env.Variables, r.secrets, r.opts.Variables,
		r.opts.Builtins.variables(r.opts.Dir))
	sh, err := newShell(r.spec.Env.Shell, r.opts.Dir, env, r.spec.Version == "0.1", r.log)
	if err != nil {
		return r.record(PhaseDownloadSource, StatusFault, start, Context{"CLIENT_ERROR", "starting shell: " + err.Error()})
	}
	r.sh = sh
	return r.record(PhaseDownloadSource, StatusSucceeded, start, Context{})
}

func (r *run) srcDir() string {
	if r.opts.Builtins.SrcDir != "" {
		return r.opts.Builtins.SrcDir
	}
	return r.opts.Dir
}

// commandPhase runs a phase's commands then its finally block.
func (r *run) commandPhase(typ string) string {
	start := r.now()
	r.log.agent("Entering phase " + typ)
	ps := r.spec.Phases.phase(typ)
	if ps == nil {
		return r.record(typ, StatusSucceeded, start, Context{})
	}
	runAs := r.spec.RunAs
	if ps.RunAs != "" {
		runAs = ps.RunAs
	}
	if err := r.sh.setUser(runAs); err != nil {
		return r.record(typ, StatusFailed, start, Context{"CLIENT_ERROR", err.Error()})
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
	return r.record(typ, status, start, ctx)
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

func (r *run) uploadArtifacts() string {
	start := r.now()
	r.log.agent("Entering phase UPLOAD_ARTIFACTS")
	a := r.spec.Artifacts
	if a == nil {
		return r.record(PhaseUploadArtifacts, StatusSucceeded, start, Context{})
	}
	ids := make([]string, 0, len(a.Secondary))
	for id := range a.Secondary {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var outs []ArtifactOutput
	if len(a.Files) > 0 || len(ids) == 0 { // files may be empty when only secondary artifacts exist
		outs = append(outs, ArtifactOutput{Name: a.Name})
	}
	for _, id := range ids {
		outs = append(outs, ArtifactOutput{Identifier: id, Name: a.Secondary[id].Name})
	}
	for i := range outs {
		spec := a
		if outs[i].Identifier != "" {
			spec = a.Secondary[outs[i].Identifier]
		}
		base := spec.BaseDirectory
		if base == "" {
			base = "."
		}
		r.log.agent("Expanding base directory path: " + base)
		r.log.agent("Assembling file list")
		for _, f := range spec.Files {
			r.log.agent("Expanding " + f)
		}
		files, err := CollectArtifacts(spec, r.opts.Dir)
		if err != nil {
			return r.record(PhaseUploadArtifacts, StatusFailed, start, Context{"CLIENT_ERROR", err.Error()})
		}
		r.log.agent(fmt.Sprintf("Found %d file(s)", len(files)))
		outs[i].Files = files
	}
	r.result.Artifacts = outs
	if r.opts.Upload != nil {
		if err := r.opts.Upload(r.ctx, outs); err != nil {
			return r.record(PhaseUploadArtifacts, StatusFailed, start, Context{"CLIENT_ERROR", err.Error()})
		}
	}
	return r.record(PhaseUploadArtifacts, StatusSucceeded, start, Context{})
}

func (r *run) finalize() string {
	start := r.now()
	r.log.agent("Entering phase FINALIZING")
	if r.sh != nil {
		r.sh.kill()
	}
	return r.record(PhaseFinalizing, StatusSucceeded, start, Context{})
}
