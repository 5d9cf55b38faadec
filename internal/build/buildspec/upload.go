package buildspec

import (
	"fmt"
	"sort"
	"strings"
)

// uploadArtifacts is UPLOAD_ARTIFACTS: evaluate the artifact names,
// collect each artifact's files, hand them to the caller's Upload.
func (r *run) uploadArtifacts() (string, Context) {
	a := r.spec.Artifacts
	if a == nil {
		return StatusSucceeded, Context{}
	}
	outs := artifactOutputs(a)
	if err := r.evaluateNames(outs); err != nil {
		if r.interrupted() {
			return r.interruptStatus()
		}
		return StatusFailed, Context{"CLIENT_ERROR", "evaluating artifact name: " + err.Error()}
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
			return StatusFailed, Context{"CLIENT_ERROR", err.Error()}
		}
		r.log.agent(fmt.Sprintf("Found %d file(s)", len(files)))
		outs[i].Files = files
	}
	r.result.Artifacts = outs
	if r.opts.Upload != nil {
		if err := r.opts.Upload(r.ctx, outs); err != nil {
			if r.interrupted() {
				return r.interruptStatus()
			}
			return StatusFailed, Context{"CLIENT_ERROR", err.Error()}
		}
	}
	return StatusSucceeded, Context{}
}

// artifactOutputs lists the artifacts to collect, the primary one first
// then the secondary ones by identifier, with their names as written.
func artifactOutputs(a *Artifacts) []ArtifactOutput {
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
	return outs
}

// evaluateNames evaluates the artifact names with shell syntax in the
// build's shell, with the build's variables, as CodeBuild does (e.g.
// app-$CODEBUILD_BUILD_NUMBER, build-$(date +%Y)).
func (r *run) evaluateNames(outs []ArtifactOutput) error {
	names := make([]string, len(outs))
	for i, o := range outs {
		names[i] = o.Name
	}
	if r.sh == nil || !strings.ContainsAny(strings.Join(names, ""), "$`\\") {
		return nil // nothing to evaluate: spare the shell a round trip
	}
	names, err := r.sh.expand(names, r.succeeding, r.interrupt)
	if err != nil {
		return err
	}
	for i := range outs {
		outs[i].Name = names[i]
	}
	return nil
}
