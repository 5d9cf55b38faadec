package codepipeline

import (
	"context"
	"errors"

	"github.com/wharfhq/wharf/internal/api"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/pipeline"
)

// RollbackStage starts a ROLLBACK execution of a stage with the artifacts
// of an earlier execution that succeeded in it.
func (h *Handler) RollbackStage(ctx context.Context, in *w.RollbackStageInput) (*w.RollbackStageOutput, error) {
	ex, err := h.starter.Rollback(ctx, in.PipelineName, in.StageName, in.TargetPipelineExecutionId)
	switch {
	case err == nil:
		return &w.RollbackStageOutput{PipelineExecutionId: ex.ID}, nil
	case errors.Is(err, pipeline.ErrPipelineNotFound):
		return nil, h.pipelineNotFound(in.PipelineName)
	case errors.Is(err, pipeline.ErrStageNotFound):
		return nil, stageNotFound(in.PipelineName, in.StageName)
	case errors.Is(err, pipeline.ErrExecutionNotFound):
		return nil, executionNotFound(in.PipelineName, in.TargetPipelineExecutionId)
	case errors.Is(err, pipeline.ErrOutdated):
		return nil, api.Errorf(w.ErrPipelineExecutionOutdatedException, "%s", err.Error())
	case errors.Is(err, pipeline.ErrCannotRollback):
		return nil, api.Errorf(w.ErrUnableToRollbackStageException, "%s", err.Error())
	}
	return nil, err
}
