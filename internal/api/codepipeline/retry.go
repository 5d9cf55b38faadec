package codepipeline

import (
	"context"
	"slices"

	"github.com/wharfhq/wharf/internal/api"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline/declare"
)

// RetryStageExecution implements CodePipeline RetryStageExecution on an
// execution that failed or was stopped in the stage (ref: pipeline.md
// 3.7). The execution continues under its id: FAILED_ACTIONS forgets the
// stage's failed and abandoned runs, so that the engine runs those actions
// again (and the ones that never started); ALL_ACTIONS forgets every run of
// the stage. The stage is InProgress again, its attempt count one higher.
//
// Refused with StageNotRetryableException when the execution is not
// stopped or failed in that stage, when an action of the stage still runs
// (ALL_ACTIONS) or when the pipeline was updated since the execution
// started; with NotLatestPipelineExecutionException when a newer execution
// has entered the stage since (except in PARALLEL mode, where executions do
// not share stages).
func (h *Handler) RetryStageExecution(ctx context.Context, in *w.RetryStageExecutionInput) (*w.RetryStageExecutionOutput, error) {
	notRetryable := func(format string, args ...any) error {
		return api.Errorf(w.ErrStageNotRetryableException, format, args...)
	}
	if err := checks(declare.CheckName("stageName", in.StageName)); err != nil {
		return nil, err
	}
	p, ex, err := h.execution(in.PipelineName, in.PipelineExecutionId, func() error {
		return notRetryable("Pipeline execution with id '%s' does not exist in pipeline '%s'", in.PipelineExecutionId, in.PipelineName)
	})
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(p.Stages, func(s model.PipelineStage) bool { return s.Name == in.StageName }) {
		return nil, stageNotFound(p.Name, in.StageName)
	}
	if ex.PipelineVersion != p.Version {
		return nil, notRetryable("Stage '%s' of execution '%s' cannot be retried: the pipeline was updated since the execution started "+
			"(version %d, now %d)", in.StageName, ex.ID, ex.PipelineVersion, p.Version)
	}
	if p.ExecutionMode != model.ModeParallel {
		for _, other := range h.st.PipelineExecutions(p.Name) {
			if other.ID == ex.ID || !other.StartTime.After(ex.StartTime) {
				continue
			}
			if st, _ := stageExec(other, in.StageName); st != nil && st.Status != "" {
				return nil, api.Errorf(w.ErrNotLatestPipelineExecutionException,
					"Stage '%s' cannot be retried for execution '%s': the newer execution '%s' has entered it since", in.StageName, ex.ID, other.ID)
			}
		}
	}
	now := h.st.Now()
	_, err = h.st.UpdatePipelineExecution(ctx, ex.Pipeline, ex.ID, func(cur *model.PipelineExecution) error {
		st, i := stageExec(cur, in.StageName)
		switch {
		case st == nil:
			return notRetryable("Stage '%s' is not a stage of execution '%s'", in.StageName, cur.ID)
		case cur.Status != model.ExecFailed && cur.Status != model.ExecStopped:
			return notRetryable("Stage '%s' of execution '%s' cannot be retried: the execution is %s, not Failed or Stopped",
				in.StageName, cur.ID, execStatus(cur))
		case cur.Stage != i || cur.Waiting || (st.Status != model.StageFailed && st.Status != model.StageStopped):
			return notRetryable("Stage '%s' of execution '%s' cannot be retried: the execution did not fail or stop in it", in.StageName, cur.ID)
		}
		switch in.RetryMode {
		case w.StageRetryModeAllActions:
			if slices.ContainsFunc(st.Actions, func(a model.ActionExecution) bool { return a.Status == model.ActionInProgress }) {
				return notRetryable("Stage '%s' of execution '%s' cannot be retried with ALL_ACTIONS while an action is in progress", in.StageName, cur.ID)
			}
			st.Actions = nil
		default: // FAILED_ACTIONS
			st.Actions = slices.DeleteFunc(st.Actions, func(a model.ActionExecution) bool {
				return a.Status == model.ActionFailed || a.Status == model.ActionAbandoned
			})
		}
		st.Status = model.StageInProgress
		st.Attempt++
		cur.Status, cur.StatusSummary = model.ExecInProgress, ""
		cur.Stage, cur.Waiting = i, false
		cur.StopRequested, cur.Abandon, cur.StopReason = false, false, ""
		cur.LastUpdate = now
		return nil
	})
	if err != nil {
		return nil, h.mapExecError(err, ex)
	}
	h.logger.Info("pipeline stage retried", "pipeline", p.Name, "execution", ex.ID, "stage", in.StageName, "mode", in.RetryMode)
	return &w.RetryStageExecutionOutput{PipelineExecutionId: ex.ID}, nil
}
