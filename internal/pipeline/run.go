package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/google/uuid"

	"github.com/wharfhq/wharf/internal/controller"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline/declare"
)

// errStale means the execution changed in the store since it was read (an
// API call set a flag); the engine looks again on its next tick.
var errStale = errors.New("execution changed since read")

// Run moves executions on until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	interval := e.Interval
	if interval == 0 {
		interval = 500 * time.Millisecond
	}
	return controller.Every(ctx, interval, e.Tick)
}

// Tick advances every pipeline's executions once: stage moves (Step),
// then action starts and polls.
func (e *Engine) Tick(ctx context.Context) {
	for _, p := range e.State.Pipelines() {
		e.tickPipeline(ctx, p)
	}
}

func (e *Engine) tickPipeline(ctx context.Context, p *model.Pipeline) {
	execs := e.active(p.Name)
	if len(execs) == 0 {
		return
	}
	decl := e.declaration(p.Name)
	for _, c := range Step(execs, decl, p.Transitions, e.State.Now()) {
		orig := find(execs, c.ID)
		if err := e.store(ctx, orig, c); err != nil {
			if !errors.Is(err, errStale) {
				e.logger().Warn("store pipeline execution", "pipeline", p.Name, "execution", c.ID, "err", err)
			}
			continue
		}
		if c.Status != orig.Status && model.ExecTerminal(c.Status) {
			e.logger().Info("pipeline execution finished", "pipeline", p.Name, "execution", c.ID, "status", c.Status, "summary", c.StatusSummary)
			if c.Status == model.ExecFailed {
				if d := decl(c.PipelineVersion); d != nil {
					e.autoRollback(ctx, d, c)
				}
			}
		}
	}
	for _, ex := range e.active(p.Name) {
		d := decl(ex.PipelineVersion)
		if d == nil || ex.Waiting || ex.Stage >= len(ex.Stages) {
			continue
		}
		for _, a := range NextActions(ex, d) {
			e.startAction(ctx, d, ex, a)
		}
		for _, r := range ex.Stages[ex.Stage].Actions {
			if r.Status == model.ActionInProgress {
				e.pollAction(ctx, d, ex, r)
			}
		}
	}
}

// declaration returns the pipeline's declaration at a version.
func (e *Engine) declaration(name string) func(int32) *model.Pipeline {
	return func(v int32) *model.Pipeline {
		if p, ok := e.State.PipelineVersion(name, v); ok {
			return p
		}
		if p, ok := e.State.Pipeline(name); ok && p.Version == v {
			return p
		}
		return nil
	}
}

func find(execs []*model.PipelineExecution, id string) *model.PipelineExecution {
	for _, ex := range execs {
		if ex.ID == id {
			return ex
		}
	}
	return nil
}

// store writes next over orig unless the stored execution is no longer
// orig (errStale).
func (e *Engine) store(ctx context.Context, orig, next *model.PipelineExecution) error {
	want, err := json.Marshal(orig)
	if err != nil {
		return err
	}
	_, err = e.State.UpdatePipelineExecution(ctx, next.Pipeline, next.ID, func(cur *model.PipelineExecution) error {
		got, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return errStale
		}
		*cur = *next
		return nil
	})
	return err
}

// updateAction applies fn to one action execution of the current stage.
func (e *Engine) updateAction(ctx context.Context, ex *model.PipelineExecution, actionID string, fn func(*model.ActionExecution)) error {
	_, err := e.State.UpdatePipelineExecution(ctx, ex.Pipeline, ex.ID, func(cur *model.PipelineExecution) error {
		if cur.Stage >= len(cur.Stages) {
			return errStale
		}
		st := &cur.Stages[cur.Stage]
		for i := range st.Actions {
			if st.Actions[i].ID == actionID {
				fn(&st.Actions[i])
				cur.LastUpdate = e.State.Now()
				return nil
			}
		}
		return errStale
	})
	return err
}

// startAction records a new action execution, then starts it.
func (e *Engine) startAction(ctx context.Context, d *model.Pipeline, ex *model.PipelineExecution, a model.PipelineAction) {
	now := e.State.Now()
	run := model.ActionExecution{Name: a.Name, ID: uuid.NewString(), Status: model.ActionInProgress, Start: now, LastChange: now}
	config, cerr := e.resolveConfig(ex, d, a)
	inputs, ierr := inputArtifacts(ex, a)
	run.ResolvedConfig, run.InputArtifacts = config, inputs
	if err := firstErr(cerr, ierr); err != nil {
		run.Status, run.ErrorCode, run.ErrorMessage = model.ActionFailed, ErrConfigurationError, err.Error()
	}
	_, err := e.State.UpdatePipelineExecution(ctx, ex.Pipeline, ex.ID, func(cur *model.PipelineExecution) error {
		if cur.Stage != ex.Stage || cur.Waiting || cur.Status != model.ExecInProgress || findRun(&cur.Stages[cur.Stage], a.Name) != nil {
			return errStale
		}
		cur.Stages[cur.Stage].Actions = append(cur.Stages[cur.Stage].Actions, run)
		cur.LastUpdate = now
		return nil
	})
	if err != nil || run.Status != model.ActionInProgress {
		return
	}
	e.logger().Info("pipeline action started", "pipeline", ex.Pipeline, "execution", ex.ID, "stage", d.Stages[ex.Stage].Name, "action", a.Name)
	e.callProvider(ctx, d, ex, a, run, true)
}

// pollAction polls an action in progress (starting it if an earlier
// Start never completed).
func (e *Engine) pollAction(ctx context.Context, d *model.Pipeline, ex *model.PipelineExecution, run model.ActionExecution) {
	for _, a := range d.Stages[ex.Stage].Actions {
		if a.Name == run.Name {
			e.callProvider(ctx, d, ex, a, run, !run.Started)
			return
		}
	}
}

func (e *Engine) callProvider(ctx context.Context, d *model.Pipeline, ex *model.PipelineExecution, a model.PipelineAction, run model.ActionExecution, start bool) {
	prov := e.Providers[ProviderKey(a.Category, a.Owner, a.Provider)]
	var prog Progress
	var err error
	switch {
	case prov == nil:
		prog = Progress{Done: true, Status: model.ActionFailed, ErrorCode: ErrConfigurationError,
			ErrorMessage: fmt.Sprintf("wharf has no %s action provider %s", a.Category, a.Provider)}
	default:
		job := Job{Pipeline: d, Exec: ex, Stage: d.Stages[ex.Stage].Name, Action: a, Config: run.ResolvedConfig,
			Inputs: run.InputArtifacts, Run: run, ArtifactPrefix: artifactPrefix(d, ex)}
		if start {
			prog, err = prov.Start(ctx, job)
		} else {
			prog, err = prov.Poll(ctx, job)
		}
	}
	if err != nil {
		e.logger().Warn("pipeline action", "pipeline", ex.Pipeline, "execution", ex.ID, "action", a.Name, "start", start, "err", err)
		return
	}
	now := e.State.Now()
	err = e.updateAction(ctx, ex, run.ID, func(r *model.ActionExecution) {
		if r.Status != model.ActionInProgress {
			return // abandoned meanwhile
		}
		r.Started = true
		applyProgress(r, prog, now)
	})
	if err != nil && !errors.Is(err, errStale) {
		e.logger().Warn("record pipeline action", "pipeline", ex.Pipeline, "action", a.Name, "err", err)
	}
	if prog.Done {
		e.logger().Info("pipeline action finished", "pipeline", ex.Pipeline, "execution", ex.ID, "action", a.Name, "status", prog.Status, "summary", prog.Summary, "error", prog.ErrorMessage)
	}
}

// applyProgress copies what a provider reported into the action record.
func applyProgress(r *model.ActionExecution, p Progress, now time.Time) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&r.Summary, p.Summary)
	set(&r.ExternalID, p.ExternalID)
	set(&r.ExternalURL, p.ExternalURL)
	set(&r.Token, p.Token)
	set(&r.Revision, p.Revision)
	set(&r.RevisionSummary, p.RevisionSummary)
	if p.OutputVariables != nil {
		r.OutputVariables = p.OutputVariables
	}
	if p.OutputArtifacts != nil {
		r.OutputArtifacts = p.OutputArtifacts
	}
	if p.Done {
		r.Status = p.Status
		r.ErrorCode, r.ErrorMessage = p.ErrorCode, p.ErrorMessage
		r.LastChange = now
	}
}

// artifactPrefix is where an execution's artifacts go in the store.
func artifactPrefix(d *model.Pipeline, ex *model.PipelineExecution) string {
	loc := d.ArtifactStore.Location
	if loc == "" {
		loc = "wharf-pipelines"
	}
	return path.Join(loc, ex.Pipeline, ex.ID)
}

// resolveConfig resolves #{namespace.variable} references in an action's
// configuration from the pipeline variables, codepipeline.* and the
// output variables of earlier actions with a namespace.
func (e *Engine) resolveConfig(ex *model.PipelineExecution, d *model.Pipeline, a model.PipelineAction) (map[string]string, error) {
	ns := namespaces(ex, d)
	lookup := func(space, name string) (string, bool) {
		switch space {
		case "variables":
			v, ok := ex.Variables[name]
			return v, ok
		case "codepipeline":
			if name == "PipelineExecutionId" {
				return ex.ID, true
			}
			return "", false
		}
		v, ok := ns[space][name]
		return v, ok
	}
	out := make(map[string]string, len(a.Configuration))
	for k, v := range a.Configuration {
		r, err := declare.Resolve(v, lookup)
		if err != nil {
			return a.Configuration, fmt.Errorf("configuration %s: %w", k, err)
		}
		out[k] = r
	}
	return out, nil
}

// namespaces collects the output variables of the execution's actions
// that declare a namespace.
func namespaces(ex *model.PipelineExecution, d *model.Pipeline) map[string]map[string]string {
	out := map[string]map[string]string{}
	for si, st := range d.Stages {
		if si >= len(ex.Stages) {
			break
		}
		for _, a := range st.Actions {
			if a.Namespace == "" {
				continue
			}
			if r := findRun(&ex.Stages[si], a.Name); r != nil && r.Status == model.ActionSucceeded {
				out[a.Namespace] = r.OutputVariables
			}
		}
	}
	return out
}

// inputArtifacts finds the artifacts an action consumes among the outputs
// of the execution's earlier actions.
func inputArtifacts(ex *model.PipelineExecution, a model.PipelineAction) ([]model.ArtifactRef, error) {
	var out []model.ArtifactRef
	for _, name := range a.InputArtifacts {
		ref, ok := outputArtifact(ex, name)
		if !ok {
			return nil, fmt.Errorf("input artifact %s was not produced by an earlier action of this execution", name)
		}
		out = append(out, ref)
	}
	return out, nil
}

func outputArtifact(ex *model.PipelineExecution, name string) (model.ArtifactRef, bool) {
	for _, st := range ex.Stages {
		for _, r := range st.Actions {
			for _, o := range r.OutputArtifacts {
				if o.Name == name && r.Status == model.ActionSucceeded {
					return o, true
				}
			}
		}
	}
	return model.ArtifactRef{}, false
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
