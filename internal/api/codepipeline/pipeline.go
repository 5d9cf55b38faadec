package codepipeline

import (
	"context"
	"errors"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
	"github.com/wharfhq/wharf/internal/pipeline/declare"
	"github.com/wharfhq/wharf/internal/state"
)

// Trigger types wharf reports.
const (
	triggerCreatePipeline = string(w.TriggerTypeCreatePipeline)
	triggerStartExecution = string(w.TriggerTypeStartPipelineExecution)
)

func (h *Handler) pipelineARN(name string) string {
	return "arn:aws:codepipeline:" + h.region + ":" + h.account + ":" + name
}

// caller names who made a request in triggerDetail and lastChangedBy:
// wharf has no IAM users, so it is the account's root.
func (h *Handler) caller() string { return "arn:aws:iam::" + h.account + ":root" }

// pipeline returns a pipeline by name, or PipelineNotFoundException.
func (h *Handler) pipeline(name string) (*model.Pipeline, error) {
	if err := checks(declare.CheckName("name", name)); err != nil {
		return nil, err
	}
	p, ok := h.st.Pipeline(name)
	if !ok {
		return nil, h.pipelineNotFound(name)
	}
	return p, nil
}

// CreatePipeline implements CodePipeline CreatePipeline: it stores version
// 1 of the pipeline and, as AWS does, starts an execution of it.
func (h *Handler) CreatePipeline(ctx context.Context, in *w.CreatePipelineInput) (*w.CreatePipelineOutput, error) {
	p, err := declare.FromWire(in.Pipeline)
	if err != nil {
		return nil, asAPI(err)
	}
	tags, err := tagsFromWire(in.Tags, "tags")
	if err != nil {
		return nil, err
	}
	now := h.st.Now()
	p.ARN, p.Version, p.Created, p.Updated, p.Tags = h.pipelineARN(p.Name), 1, now, now, tags
	if err := h.st.CreatePipeline(ctx, p); err != nil {
		return nil, h.mapError(err, p.Name)
	}
	h.logger.Info("pipeline created", "pipeline", p.Name)
	if h.starter != nil {
		ex, err := h.starter.Start(ctx, p.Name, pipeline.StartOptions{TriggerType: triggerCreatePipeline, TriggerDetail: h.caller()})
		if err != nil {
			// The pipeline exists: a client retrying would get
			// PipelineNameInUseException. The next push or
			// StartPipelineExecution runs it.
			h.logger.Error("start the first execution of a new pipeline", "pipeline", p.Name, "err", err)
		} else {
			h.logger.Debug("first pipeline execution", "pipeline", p.Name, "execution", ex.ID)
		}
	}
	return &w.CreatePipelineOutput{Pipeline: declare.ToWire(p), Tags: tagsToWire(p.Tags)}, nil
}

// UpdatePipeline implements CodePipeline UpdatePipeline: the declaration
// replaces the pipeline's as a new version. Executions keep running the
// version they started with. Transitions of the stages that remain keep
// their state; the tags stay.
func (h *Handler) UpdatePipeline(ctx context.Context, in *w.UpdatePipelineInput) (*w.UpdatePipelineOutput, error) {
	p, err := declare.FromWire(in.Pipeline)
	if err != nil {
		return nil, asAPI(err)
	}
	now := h.st.Now()
	updated, err := h.st.UpdatePipeline(ctx, p.Name, func(cur *model.Pipeline) error {
		next := *p
		next.ARN, next.Created, next.Tags = cur.ARN, cur.Created, cur.Tags
		next.Version, next.Updated = cur.Version+1, now
		next.Transitions = nil
		for _, st := range p.Stages {
			if t, ok := cur.Transitions[st.Name]; ok {
				if next.Transitions == nil {
					next.Transitions = map[string]model.Transition{}
				}
				next.Transitions[st.Name] = t
			}
		}
		*cur = next
		return nil
	})
	if err != nil {
		return nil, h.mapError(err, p.Name)
	}
	h.logger.Info("pipeline updated", "pipeline", p.Name, "version", updated.Version)
	return &w.UpdatePipelineOutput{Pipeline: declare.ToWire(updated)}, nil
}

// GetPipeline implements CodePipeline GetPipeline: the current version, or
// the one asked for.
func (h *Handler) GetPipeline(_ context.Context, in *w.GetPipelineInput) (*w.GetPipelineOutput, error) {
	cur, err := h.pipeline(in.Name)
	if err != nil {
		return nil, err
	}
	p := cur
	if in.Version != 0 && in.Version != cur.Version {
		v, ok := h.st.PipelineVersion(cur.Name, in.Version)
		if !ok {
			return nil, api.Errorf(w.ErrPipelineVersionNotFoundException, "Pipeline '%s' does not have a version %d: its versions are 1 to %d",
				cur.Name, in.Version, cur.Version)
		}
		p = v
	}
	return &w.GetPipelineOutput{
		Pipeline: declare.ToWire(p),
		Metadata: &w.PipelineMetadata{PipelineArn: cur.ARN, Created: awsjson.NewTimestamp(cur.Created), Updated: awsjson.NewTimestamp(cur.Updated)},
	}, nil
}

// DeletePipeline implements CodePipeline DeletePipeline with its versions
// and executions. Deleting a pipeline that does not exist succeeds, as on
// AWS.
func (h *Handler) DeletePipeline(ctx context.Context, in *w.DeletePipelineInput) (*struct{}, error) {
	if err := checks(declare.CheckName("name", in.Name)); err != nil {
		return nil, err
	}
	if err := h.st.DeletePipeline(ctx, in.Name); err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, h.mapError(err, in.Name)
	}
	h.logger.Info("pipeline deleted", "pipeline", in.Name)
	return nil, nil
}

// ListPipelines implements CodePipeline ListPipelines, by name.
func (h *Handler) ListPipelines(_ context.Context, in *w.ListPipelinesInput) (*w.ListPipelinesOutput, error) {
	items, next, err := page(h.st.Pipelines(), func(p *model.Pipeline) string { return p.Name }, false,
		limit(in.MaxResults, maxPipelines), in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &w.ListPipelinesOutput{Pipelines: []w.PipelineSummary{}, NextToken: next}
	for _, p := range items {
		out.Pipelines = append(out.Pipelines, w.PipelineSummary{
			Name: p.Name, Version: p.Version, PipelineType: w.PipelineType(p.PipelineType), ExecutionMode: w.ExecutionMode(p.ExecutionMode),
			Created: awsjson.NewTimestamp(p.Created), Updated: awsjson.NewTimestamp(p.Updated),
		})
	}
	return out, nil
}
