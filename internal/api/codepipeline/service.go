package codepipeline

import (
	"context"
	"log/slog"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
	"github.com/wharfhq/wharf/internal/state"
)

// Starter creates pipeline executions: the pipeline engine
// (*pipeline.Engine).
type Starter interface {
	Start(ctx context.Context, name string, o pipeline.StartOptions) (*model.PipelineExecution, error)
	Rollback(ctx context.Context, name, stage, targetExecutionID string) (*model.PipelineExecution, error)
}

// Handler implements the CodePipeline operations over the state store.
type Handler struct {
	st      *state.State
	starter Starter
	region  string
	account string
	logger  *slog.Logger
}

// New returns a CodePipeline handler; starter creates executions, region
// and account go into ARNs.
func New(st *state.State, starter Starter, region, account string, logger *slog.Logger) *Handler {
	return &Handler{st: st, starter: starter, region: region, account: account, logger: logger.With("component", "codepipelineapi")}
}

// Service returns the JSON-protocol service to mount on the gateway.
func (h *Handler) Service() *api.JSONService {
	known := make(map[string]bool, len(cpwire.Operations))
	for _, op := range cpwire.Operations {
		known[op.Name] = true
	}
	s := &api.JSONService{
		TargetPrefix:   cpwire.TargetPrefix,
		ContentType:    "application/x-amz-json-1.1",
		ValidationCode: cpwire.ErrValidationException,
		Known:          known,
	}
	// Pipelines.
	api.Register(s, "CreatePipeline", h.CreatePipeline)
	api.Register(s, "GetPipeline", h.GetPipeline)
	api.Register(s, "UpdatePipeline", h.UpdatePipeline)
	api.Register(s, "DeletePipeline", h.DeletePipeline)
	api.Register(s, "ListPipelines", h.ListPipelines)
	// Executions.
	api.Register(s, "StartPipelineExecution", h.StartPipelineExecution)
	api.Register(s, "StopPipelineExecution", h.StopPipelineExecution)
	api.Register(s, "GetPipelineExecution", h.GetPipelineExecution)
	api.Register(s, "ListPipelineExecutions", h.ListPipelineExecutions)
	api.Register(s, "GetPipelineState", h.GetPipelineState)
	api.Register(s, "ListActionExecutions", h.ListActionExecutions)
	api.Register(s, "PutApprovalResult", h.PutApprovalResult)
	api.Register(s, "RetryStageExecution", h.RetryStageExecution)
	api.Register(s, "RollbackStage", h.RollbackStage)
	// Transitions.
	api.Register(s, "EnableStageTransition", h.EnableStageTransition)
	api.Register(s, "DisableStageTransition", h.DisableStageTransition)
	// Tags.
	api.Register(s, "TagResource", h.TagResource)
	api.Register(s, "UntagResource", h.UntagResource)
	api.Register(s, "ListTagsForResource", h.ListTagsForResource)
	return s
}
