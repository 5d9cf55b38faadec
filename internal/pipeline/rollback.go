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
