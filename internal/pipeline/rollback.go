package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/wharfhq/wharf/internal/model"
)

// Errors of Rollback.
var (
	ErrStageNotFound     = errors.New("stage not found")
	ErrExecutionNotFound = errors.New("pipeline execution not found")
	ErrOutdated          = errors.New("the target execution ran an earlier pipeline version")
	ErrCannotRollback    = errors.New("unable to roll back the stage")
)

// Rollback starts a ROLLBACK execution of one stage (RollbackStage): the
// stage runs again with the artifacts and variables of the target
// execution, which must have succeeded in it on the current pipeline
// version and must not be a rollback itself. Source stages cannot be
// rolled back.
func (e *Engine) Rollback(ctx context.Context, name, stage, targetID string) (*model.PipelineExecution, error) {
	p, ok := e.State.Pipeline(name)
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrPipelineNotFound)
	}
	idx := -1
	for i, st := range p.Stages {
		if st.Name == stage {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("%s: %w", stage, ErrStageNotFound)
	}
	target, ok := e.State.PipelineExecution(name, targetID)
	switch {
	case !ok:
		return nil, fmt.Errorf("%s: %w", targetID, ErrExecutionNotFound)
	case idx == 0:
		return nil, fmt.Errorf("%w: %s is the source stage", ErrCannotRollback, stage)
	case target.PipelineVersion != p.Version:
		return nil, fmt.Errorf("%w: %s ran version %d, the pipeline is at version %d", ErrOutdated, targetID, target.PipelineVersion, p.Version)
	case target.Type == model.ExecRollback:
		return nil, fmt.Errorf("%w: %s is itself a rollback", ErrCannotRollback, targetID)
	case idx >= len(target.Stages) || target.Stages[idx].Status != model.StageSucceeded:
		return nil, fmt.Errorf("%w: execution %s did not succeed in stage %s", ErrCannotRollback, targetID, stage)
	}
	now := e.State.Now()
	ex := &model.PipelineExecution{
		ID: uuid.NewString(), Pipeline: name, PipelineVersion: p.Version, Status: model.ExecInProgress,
		Mode: p.ExecutionMode, TriggerType: "ManualRollback", TriggerDetail: targetID,
		Type: model.ExecRollback, RollbackTarget: targetID,
		Variables: target.Variables, SourceRevisions: target.SourceRevisions,
		StartTime: now, LastUpdate: now, Stage: idx, Waiting: true,
	}
	// The earlier stages' records carry the target's artifacts and
	// namespaces, from which the stage's inputs and variables resolve.
	for i, st := range target.Stages {
		c := model.StageExecution{Name: st.Name}
		if i < idx {
			c = st
			c.Actions = append([]model.ActionExecution(nil), st.Actions...)
		}
		ex.Stages = append(ex.Stages, c)
	}
	if err := e.State.CreatePipelineExecution(ctx, ex); err != nil {
		return nil, err
	}
	e.logger().Info("pipeline rollback started", "pipeline", name, "stage", stage, "execution", ex.ID, "target", targetID)
	return ex, nil
}

// rollbackTarget is the execution an automatic rollback of stage returns
// to: the newest other execution of the same pipeline version that
// succeeded in the stage and is not a rollback ("" if none: CodePipeline
// needs a prior success). execs are newest first.
func rollbackTarget(execs []*model.PipelineExecution, failed *model.PipelineExecution, stage int) string {
	for _, ex := range execs {
		if ex.ID == failed.ID || ex.Type == model.ExecRollback || ex.PipelineVersion != failed.PipelineVersion {
			continue
		}
		if stage < len(ex.Stages) && ex.Stages[stage].Status == model.StageSucceeded {
			return ex.ID
		}
	}
	return ""
}

// autoRollback starts the rollback that onFailure ROLLBACK asks for when
// an execution failed in a stage.
func (e *Engine) autoRollback(ctx context.Context, d *model.Pipeline, failed *model.PipelineExecution) {
	if failed.Stage >= len(d.Stages) || d.Stages[failed.Stage].OnFailure != "ROLLBACK" || failed.Type == model.ExecRollback {
		return
	}
	target := rollbackTarget(e.State.PipelineExecutions(failed.Pipeline), failed, failed.Stage)
	if target == "" {
		e.logger().Info("no earlier success to roll back to", "pipeline", failed.Pipeline, "stage", d.Stages[failed.Stage].Name)
		return
	}
	ex, err := e.Rollback(ctx, failed.Pipeline, d.Stages[failed.Stage].Name, target)
	if err != nil {
		e.logger().Warn("automatic rollback", "pipeline", failed.Pipeline, "err", err)
		return
	}
	_, _ = e.State.UpdatePipelineExecution(ctx, ex.Pipeline, ex.ID, func(cur *model.PipelineExecution) error {
		cur.TriggerType = "AutomatedRollback"
		return nil
	})
}
