package codebuild

import (
	"context"
	"log/slog"
	"sync"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/codebuild/cbwire"
	"github.com/wharfhq/wharf/internal/state"
)

// Handler implements the CodeBuild operations over the state store.
type Handler struct {
	st      *state.State
	region  string
	account string
	logger  *slog.Logger

	// tokens serializes StartBuild and RetryBuild requests that carry an
	// idempotencyToken, so two concurrent retries of one request on this
	// server start one build.
	tokens sync.Mutex
}

// New returns a CodeBuild handler; region and account go into ARNs.
func New(st *state.State, region, account string, logger *slog.Logger) *Handler {
	return &Handler{st: st, region: region, account: account, logger: logger.With("component", "codebuildapi")}
}

// Service returns the JSON-protocol service to mount on the gateway.
func (h *Handler) Service() *api.JSONService {
	known := make(map[string]bool, len(cbwire.Operations))
	for _, op := range cbwire.Operations {
		known[op.Name] = true
	}
	s := &api.JSONService{
		TargetPrefix:   cbwire.TargetPrefix,
		ContentType:    "application/x-amz-json-1.1",
		ValidationCode: cbwire.ErrInvalidInputException,
		Known:          known,
	}
	// Projects. The requests whose environment type may be LINUX_HOST go
	// through wrappers whose Validate accepts it (see request.go).
	api.Register(s, "CreateProject", func(ctx context.Context, in *createProjectRequest) (*cbwire.CreateProjectOutput, error) {
		return h.CreateProject(ctx, &in.CreateProjectInput)
	})
	api.Register(s, "UpdateProject", func(ctx context.Context, in *updateProjectRequest) (*cbwire.UpdateProjectOutput, error) {
		return h.UpdateProject(ctx, &in.UpdateProjectInput)
	})
	api.Register(s, "DeleteProject", h.DeleteProject)
	api.Register(s, "BatchGetProjects", h.BatchGetProjects)
	api.Register(s, "ListProjects", h.ListProjects)
	// Builds.
	api.Register(s, "StartBuild", func(ctx context.Context, in *startBuildRequest) (*cbwire.StartBuildOutput, error) {
		return h.StartBuild(ctx, &in.StartBuildInput)
	})
	api.Register(s, "StopBuild", h.StopBuild)
	api.Register(s, "RetryBuild", h.RetryBuild)
	api.Register(s, "BatchGetBuilds", h.BatchGetBuilds)
	api.Register(s, "ListBuilds", h.ListBuilds)
	api.Register(s, "ListBuildsForProject", h.ListBuildsForProject)
	api.Register(s, "BatchDeleteBuilds", h.BatchDeleteBuilds)
	return s
}
