package codepipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/wharfhq/wharf/internal/api"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
	"github.com/wharfhq/wharf/internal/pipeline/declare"
	"github.com/wharfhq/wharf/internal/state"
)

// clientTokenPattern is the pattern of clientRequestToken.
const clientTokenPattern = `[a-zA-Z0-9-]+`

// execution returns an execution of a pipeline that exists, with the
// pipeline; notFound makes the error for an unknown execution id (the
// exception differs by operation).
func (h *Handler) execution(pipelineName, id string, notFound func() error) (*model.Pipeline, *model.PipelineExecution, error) {
	if err := checks(
		declare.CheckName("pipelineName", pipelineName),
		declare.CheckString("pipelineExecutionId", id, 1, 0, declare.UUIDPattern),
	); err != nil {
		return nil, nil, err
	}
	p, ok := h.st.Pipeline(pipelineName)
	if !ok {
		return nil, nil, h.pipelineNotFound(pipelineName)
	}
	ex, ok := h.st.PipelineExecution(pipelineName, id)
	if !ok {
		return nil, nil, notFound()
	}
	return p, ex, nil
}

// StartPipelineExecution implements CodePipeline StartPipelineExecution:
// the engine creates an execution of the pipeline's current version, with
// the variables given overriding their defaults and the source actions
// named in sourceRevisions pinned to those commits.
func (h *Handler) StartPipelineExecution(ctx context.Context, in *w.StartPipelineExecutionInput) (*w.StartPipelineExecutionOutput, error) {
	p, err := h.pipeline(in.Name)
	if err != nil {
		return nil, err
	}
	if in.ClientRequestToken != "" {
		if err := checks(declare.CheckString("clientRequestToken", in.ClientRequestToken, 1, 128, clientTokenPattern)); err != nil {
			return nil, err
		}
	}
	o := pipeline.StartOptions{TriggerType: triggerStartExecution, TriggerDetail: h.caller(), ClientRequestToken: in.ClientRequestToken}
	for i, v := range in.Variables {
		f := fmt.Sprintf("variables[%d].name", i)
		if err := checks(declare.CheckString(f, v.Name, 1, 128, declare.VariableNamePattern)); err != nil {
			return nil, err
		}
		if _, dup := o.Variables[v.Name]; dup {
			return nil, fieldError(f, "the variable %s is given more than once", v.Name)
		}
		if !declared(p, v.Name) {
			return nil, fieldError(f, "the pipeline %s does not declare a variable %s", p.Name, v.Name)
		}
		if o.Variables == nil {
			o.Variables = map[string]string{}
		}
		o.Variables[v.Name] = v.Value
	}
	for i, r := range in.SourceRevisions {
		f := fmt.Sprintf("sourceRevisions[%d]", i)
		a, ok := sourceAction(p, r.ActionName)
		switch {
		case !ok:
			return nil, fieldError(f+".actionName", "%s is not a source action of the pipeline %s", r.ActionName, p.Name)
		case r.RevisionType != w.SourceRevisionTypeCommitId:
			return nil, fieldError(f+".revisionType", "the %s source action %s takes a revisionType of COMMIT_ID, not %s", a.Provider, a.Name, r.RevisionType)
		case r.RevisionValue == "":
			return nil, fieldError(f+".revisionValue", "is required")
		}
		if _, dup := o.SourceRevisions[r.ActionName]; dup {
			return nil, fieldError(f+".actionName", "the source action %s is given more than once", r.ActionName)
		}
		if o.SourceRevisions == nil {
			o.SourceRevisions = map[string]string{}
		}
		o.SourceRevisions[r.ActionName] = r.RevisionValue
	}
	if h.starter == nil {
		return nil, errors.New("no pipeline engine is configured")
	}
	ex, err := h.starter.Start(ctx, p.Name, o)
	switch {
	case errors.Is(err, pipeline.ErrPipelineNotFound):
		return nil, h.pipelineNotFound(p.Name)
	case errors.Is(err, pipeline.ErrUnknownVariable):
		return nil, validation("%v", err)
	case err != nil:
		return nil, h.mapError(err, p.Name)
	}
	return &w.StartPipelineExecutionOutput{PipelineExecutionId: ex.ID}, nil
}

func declared(p *model.Pipeline, variable string) bool {
	for _, v := range p.Variables {
		if v.Name == variable {
			return true
		}
	}
	return false
}

// sourceAction returns the source action of a pipeline named name.
func sourceAction(p *model.Pipeline, name string) (model.PipelineAction, bool) {
	for _, st := range p.Stages {
		for _, a := range st.Actions {
			if a.Name == name && declare.IsSource(a) {
				return a, true
			}
		}
	}
	return model.PipelineAction{}, false
}

// StopPipelineExecution implements CodePipeline StopPipelineExecution: it
// asks the engine to stop the execution (and to abandon its running
// actions with abandon). The execution shows Stopping until the engine
// stops it.
func (h *Handler) StopPipelineExecution(ctx context.Context, in *w.StopPipelineExecutionInput) (*w.StopPipelineExecutionOutput, error) {
	notStoppable := func(format string, args ...any) error {
		return api.Errorf(w.ErrPipelineExecutionNotStoppableException, format, args...)
	}
	_, ex, err := h.execution(in.PipelineName, in.PipelineExecutionId, func() error {
		return notStoppable("Pipeline execution with id '%s' does not exist in pipeline '%s'", in.PipelineExecutionId, in.PipelineName)
	})
	if err != nil {
		return nil, err
	}
	_, err = h.st.UpdatePipelineExecution(ctx, ex.Pipeline, ex.ID, func(cur *model.PipelineExecution) error {
		switch {
		case model.ExecTerminal(cur.Status):
			return notStoppable("Unable to stop pipeline execution '%s': its status is %s", cur.ID, cur.Status)
		case cur.StopRequested && (cur.Abandon || !in.Abandon):
			return api.Errorf(w.ErrDuplicatedStopRequestException,
				"Pipeline execution '%s' is already stopping; only a stop with abandon can follow a stop and wait", cur.ID)
		}
		cur.StopRequested = true
		cur.Abandon = cur.Abandon || in.Abandon
		if in.Reason != "" {
			cur.StopReason = in.Reason
		}
		cur.LastUpdate = h.st.Now()
		return nil
	})
	if err != nil {
		return nil, h.mapExecError(err, ex)
	}
	h.logger.Info("pipeline execution stop requested", "pipeline", ex.Pipeline, "execution", ex.ID, "abandon", in.Abandon)
	return &w.StopPipelineExecutionOutput{PipelineExecutionId: ex.ID}, nil
}

// mapExecError maps the error of an execution update: the execution was
// deleted with its pipeline meanwhile.
func (h *Handler) mapExecError(err error, ex *model.PipelineExecution) error {
	if errors.Is(err, state.ErrNotFound) {
		return h.pipelineNotFound(ex.Pipeline)
	}
	return h.mapError(err, ex.Pipeline)
}

// GetPipelineExecution implements CodePipeline GetPipelineExecution.
func (h *Handler) GetPipelineExecution(_ context.Context, in *w.GetPipelineExecutionInput) (*w.GetPipelineExecutionOutput, error) {
	_, ex, err := h.execution(in.PipelineName, in.PipelineExecutionId, func() error {
		return executionNotFound(in.PipelineName, in.PipelineExecutionId)
	})
	if err != nil {
		return nil, err
	}
	return &w.GetPipelineExecutionOutput{PipelineExecution: executionToWire(ex, h.declaration(ex))}, nil
}

// ListPipelineExecutions implements CodePipeline ListPipelineExecutions,
// newest first; filter.succeededInStage keeps the executions that
// succeeded in that stage.
func (h *Handler) ListPipelineExecutions(_ context.Context, in *w.ListPipelineExecutionsInput) (*w.ListPipelineExecutionsOutput, error) {
	if err := checks(declare.CheckName("pipelineName", in.PipelineName)); err != nil {
		return nil, err
	}
	if _, ok := h.st.Pipeline(in.PipelineName); !ok {
		return nil, h.pipelineNotFound(in.PipelineName)
	}
	execs := h.st.PipelineExecutions(in.PipelineName)
	if f := in.Filter; f != nil && f.SucceededInStage != nil {
		stage := f.SucceededInStage.StageName
		if err := checks(declare.CheckName("filter.succeededInStage.stageName", stage)); err != nil {
			return nil, err
		}
		kept := execs[:0]
		for _, ex := range execs {
			if st, _ := stageExec(ex, stage); st != nil && st.Status == model.StageSucceeded {
				kept = append(kept, ex)
			}
		}
		execs = kept
	}
	items, next, err := page(execs, func(ex *model.PipelineExecution) string { return timeKey(ex.StartTime, ex.ID) }, true,
		limit(in.MaxResults, defaultMaxResults), in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &w.ListPipelineExecutionsOutput{PipelineExecutionSummaries: []w.PipelineExecutionSummary{}, NextToken: next}
	for _, ex := range items {
		out.PipelineExecutionSummaries = append(out.PipelineExecutionSummaries, summaryToWire(ex, h.declaration(ex)))
	}
	return out, nil
}
