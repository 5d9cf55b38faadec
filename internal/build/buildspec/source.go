package buildspec

import (
	"errors"
	"fmt"
	"strings"
)

// downloadSource is DOWNLOAD_SOURCE: the caller's Prepare (source download
// and buildspec), secrets, the build's shell, then the cache.
func (r *run) downloadSource() (string, Context) {
	if status, c, ok := r.prepare(); !ok {
		return status, c
	}
	r.log.agent("CODEBUILD_SRC_DIR=" + r.srcDir())
	r.log.agent("Processing environment variables")
	if c, ok := r.resolveSecrets(); !ok {
		return StatusFailed, c
	}
	r.log.agent("Moving to directory " + r.opts.Dir)
	r.logPhasesFound()
	env := buildEnv(r.opts.Env, r.spec.Env.Variables, r.secrets, r.opts.Variables,
		r.opts.Builtins.variables(r.opts.Dir))
	sh, err := newShell(shellConfig{
		kind: r.spec.Env.Shell, workDir: r.opts.Dir, env: env,
		perCommand: r.spec.Version == "0.1", scratchRoot: r.opts.ScratchDir,
		shellCommand: r.opts.ShellCommand,
	}, r.log)
	if err != nil {
		return StatusFault, Context{"CLIENT_ERROR", "starting shell: " + err.Error()}
	}
	r.sh = sh
	r.restoreCache()
	return StatusSucceeded, Context{}
}

// prepare runs the caller's Prepare and settles which spec the build runs.
// ok is false when DOWNLOAD_SOURCE failed with status and c.
func (r *run) prepare() (status string, c Context, ok bool) {
	if r.opts.Prepare != nil {
		spec, err := r.opts.Prepare(r.ctx, r.log.agent)
		if err != nil {
			if r.interrupted() {
				// The download failed because the build was stopped.
				status, c = r.interruptStatus()
				return status, c, false
			}
			return StatusFailed, prepareContext(err), false
		}
		if spec != nil {
			r.spec = spec
		}
		if r.opts.ResolvedSourceVersion != nil {
			if v := r.opts.ResolvedSourceVersion(); v != "" {
				r.opts.Builtins.ResolvedSourceVersion = v
			}
		}
	}
	if r.spec == nil {
		return StatusFailed, Context{"CLIENT_ERROR", "no buildspec to run"}, false
	}
	return "", Context{}, true
}

// prepareContext is the phase context of a failed Prepare: a buildspec
// that does not parse is CodeBuild's YAML_FILE_ERROR, anything else a
// CLIENT_ERROR.
func prepareContext(err error) Context {
	var pe *ParseError
	switch {
	case errors.As(err, &pe):
		return Context{"YAML_FILE_ERROR", pe.message()}
	case errors.Is(err, ErrYAMLFile):
		msg := strings.TrimPrefix(err.Error(), ErrYAMLFile.Error())
		msg = strings.TrimPrefix(strings.TrimLeft(msg, ": "), "Message: ")
		return Context{"YAML_FILE_ERROR", msg}
	}
	return Context{"CLIENT_ERROR", err.Error()}
}

// resolveSecrets resolves the buildspec's parameter-store and
// secrets-manager variables and masks their values in the log.
func (r *run) resolveSecrets() (Context, bool) {
	for _, ref := range []struct {
		kind, code string
		vars       []Variable
	}{
		{KindParameterStore, "Decrypted Variables Error", r.spec.Env.ParameterStore},
		{KindSecretsManager, "Secrets Manager Error", r.spec.Env.SecretsManager},
	} {
		for _, v := range ref.vars {
			if r.opts.Secrets == nil {
				return Context{ref.code, fmt.Sprintf("no secret store to resolve %s %q", ref.kind, v.Value)}, false
			}
			val, err := r.opts.Secrets.Resolve(ref.kind, v.Value)
			if err != nil {
				return Context{ref.code, err.Error()}, false
			}
			r.log.addMask(val)
			r.secrets = append(r.secrets, Variable{v.Name, val})
		}
	}
	return Context{}, true
}

func (r *run) logPhasesFound() {
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
}

func (r *run) srcDir() string {
	if r.opts.Builtins.SrcDir != "" {
		return r.opts.Builtins.SrcDir
	}
	return r.opts.Dir
}
