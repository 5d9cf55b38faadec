package codepipeline

import (
	"context"
	"sort"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline/declare"
)

// GetPipelineState implements CodePipeline GetPipelineState for the
// pipeline's current version:
//   - inboundTransitionState: every stage but the first (whose door has no
//     transition) is enabled unless DisableStageTransition closed it;
//   - inboundExecution: the execution that will enter the stage next among
//     those waiting at its door (the newest in SUPERSEDED mode, the oldest
//     otherwise); inboundExecutions lists all of them in QUEUED and
//     PARALLEL modes, oldest first;
//   - latestExecution: the newest execution that entered the stage;
//   - actionStates: each action's latest run in any execution, with the
//     revision a source action fetched as currentRevision.
func (h *Handler) GetPipelineState(_ context.Context, in *w.GetPipelineStateInput) (*w.GetPipelineStateOutput, error) {
	p, err := h.pipeline(in.Name)
	if err != nil {
		return nil, err
	}
	execs := h.st.PipelineExecutions(p.Name) // newest first
	out := &w.GetPipelineStateOutput{
		PipelineName: p.Name, PipelineVersion: p.Version,
		Created: awsjson.NewTimestamp(p.Created), Updated: awsjson.NewTimestamp(p.Updated),
		StageStates: []w.StageState{},
	}
	for i, stage := range p.Stages {
		out.StageStates = append(out.StageStates, stageState(p, i, stage, execs))
	}
	return out, nil
}

func stageState(p *model.Pipeline, i int, stage model.PipelineStage, execs []*model.PipelineExecution) w.StageState {
	out := w.StageState{StageName: stage.Name, ActionStates: []w.ActionState{}}
	if i > 0 {
		t, ok := p.Transitions[stage.Name]
		if !ok {
			t = model.Transition{Enabled: true}
		}
		out.InboundTransitionState = &w.TransitionState{Enabled: t.Enabled, DisabledReason: t.Reason,
			LastChangedBy: t.LastChangedBy, LastChangedAt: awsjson.NewTimestamp(t.LastChangedAt)}
	}

	var waiting []*model.PipelineExecution // oldest first
	for _, ex := range execs {
		if ex.Waiting && !model.ExecTerminal(ex.Status) && ex.Stage < len(ex.Stages) && ex.Stages[ex.Stage].Name == stage.Name {
			waiting = append([]*model.PipelineExecution{ex}, waiting...)
		}
	}
	inbound := func(ex *model.PipelineExecution) w.StageExecution {
		return w.StageExecution{PipelineExecutionId: ex.ID, Status: w.StageExecutionStatusInProgress, Type: w.ExecutionTypeStandard}
	}
	if len(waiting) > 0 {
		next := waiting[0]
		if p.ExecutionMode == model.ModeSuperseded {
			next = waiting[len(waiting)-1]
		} else {
			for _, ex := range waiting {
				out.InboundExecutions = append(out.InboundExecutions, inbound(ex))
			}
		}
		e := inbound(next)
		out.InboundExecution = &e
	}

	for _, ex := range execs {
		if st, _ := stageExec(ex, stage.Name); st != nil && st.Status != "" {
			out.LatestExecution = &w.StageExecution{PipelineExecutionId: ex.ID,
				Status: w.StageExecutionStatus(stageStatus(ex, st)), Type: w.ExecutionTypeStandard}
			if st.Attempt > 0 {
				out.RetryStageMetadata = &w.RetryStageMetadata{ManualStageRetryAttempt: int32(st.Attempt), LatestRetryTrigger: w.RetryTriggerManualStageRetry}
			}
			break
		}
	}

	for _, a := range stage.Actions {
		as := w.ActionState{ActionName: a.Name}
		if r := latestRun(execs, stage.Name, a.Name); r != nil {
			as.LatestExecution = actionExecToWire(r)
			if declare.IsSource(a) && r.Revision != "" {
				as.CurrentRevision = &w.ActionRevision{RevisionId: r.Revision, RevisionChangeId: r.Revision, Created: awsjson.NewTimestamp(r.LastChange)}
			}
		}
		out.ActionStates = append(out.ActionStates, as)
	}
	return out
}

// latestRun returns the newest run of an action among the executions
// (newest first).
func latestRun(execs []*model.PipelineExecution, stage, action string) *model.ActionExecution {
	for _, ex := range execs {
		st, _ := stageExec(ex, stage)
		if r := actionRun(st, action); r != nil {
			return r
		}
	}
	return nil
}

// ListActionExecutions implements CodePipeline ListActionExecutions: the
// action runs of one execution (filter.pipelineExecutionId) or of all the
// pipeline's executions, the latest started first. Each run records what
// it consumed and produced; the declared configuration comes from the
// execution's pipeline version. filter.latestInPipelineExecution is
// ignored.
func (h *Handler) ListActionExecutions(_ context.Context, in *w.ListActionExecutionsInput) (*w.ListActionExecutionsOutput, error) {
	if err := checks(declare.CheckName("pipelineName", in.PipelineName)); err != nil {
		return nil, err
	}
	if _, ok := h.st.Pipeline(in.PipelineName); !ok {
		return nil, h.pipelineNotFound(in.PipelineName)
	}
	var execs []*model.PipelineExecution
	if f := in.Filter; f != nil && f.PipelineExecutionId != "" {
		if err := checks(declare.CheckString("filter.pipelineExecutionId", f.PipelineExecutionId, 1, 0, declare.UUIDPattern)); err != nil {
			return nil, err
		}
		ex, ok := h.st.PipelineExecution(in.PipelineName, f.PipelineExecutionId)
		if !ok {
			return nil, executionNotFound(in.PipelineName, f.PipelineExecutionId)
		}
		execs = []*model.PipelineExecution{ex}
	} else {
		execs = h.st.PipelineExecutions(in.PipelineName)
	}

	type run struct {
		key    string
		detail w.ActionExecutionDetail
	}
	var runs []run
	for _, ex := range execs {
		d := h.declaration(ex)
		var store model.ArtifactStore
		if d != nil {
			store = d.ArtifactStore
		}
		for _, st := range ex.Stages {
			for i := range st.Actions {
				r := &st.Actions[i]
				runs = append(runs, run{
					key:    timeKey(r.Start, ex.ID+"/"+r.ID),
					detail: actionDetailToWire(ex, st.Name, declaredAction(d, st.Name, r.Name), store, r),
				})
			}
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].key > runs[j].key })
	items, next, err := page(runs, func(r run) string { return r.key }, true, limit(in.MaxResults, defaultMaxResults), in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &w.ListActionExecutionsOutput{ActionExecutionDetails: []w.ActionExecutionDetail{}, NextToken: next}
	for _, r := range items {
		out.ActionExecutionDetails = append(out.ActionExecutionDetails, r.detail)
	}
	return out, nil
}

// declaredAction returns an action's declaration in d (zero when absent).
func declaredAction(d *model.Pipeline, stage, action string) model.PipelineAction {
	if d == nil {
		return model.PipelineAction{}
	}
	for _, st := range d.Stages {
		if st.Name != stage {
			continue
		}
		for _, a := range st.Actions {
			if a.Name == action {
				return a
			}
		}
	}
	return model.PipelineAction{}
}
