package codepipeline

import (
	"context"
	"slices"

	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline/declare"
)

// disabledReasonPattern is the pattern of DisableStageTransition's reason.
const disabledReasonPattern = `[a-zA-Z0-9!@ \(\)\.\*\?\-]+`

// EnableStageTransition implements CodePipeline EnableStageTransition; the
// executions waiting at the door go in (the newest in SUPERSEDED mode).
func (h *Handler) EnableStageTransition(ctx context.Context, in *w.EnableStageTransitionInput) (*struct{}, error) {
	return nil, h.setTransition(ctx, in.PipelineName, in.StageName, in.TransitionType, true, "")
}

// DisableStageTransition implements CodePipeline DisableStageTransition:
// executions that reach the door wait there (and can still be superseded).
func (h *Handler) DisableStageTransition(ctx context.Context, in *w.DisableStageTransitionInput) (*struct{}, error) {
	if err := checks(declare.CheckString("reason", in.Reason, 1, 300, disabledReasonPattern)); err != nil {
		return nil, err
	}
	return nil, h.setTransition(ctx, in.PipelineName, in.StageName, in.TransitionType, false, in.Reason)
}

// setTransition records the transition into a stage. wharf has one door
// between two stages: a stage's Outbound transition is the next stage's
// Inbound one, and the first stage has no Inbound transition.
func (h *Handler) setTransition(ctx context.Context, pipeline, stage string, typ w.StageTransitionType, enabled bool, reason string) error {
	if err := checks(declare.CheckName("pipelineName", pipeline), declare.CheckName("stageName", stage)); err != nil {
		return err
	}
	p, ok := h.st.Pipeline(pipeline)
	if !ok {
		return h.pipelineNotFound(pipeline)
	}
	i := slices.IndexFunc(p.Stages, func(s model.PipelineStage) bool { return s.Name == stage })
	if i < 0 {
		return stageNotFound(p.Name, stage)
	}
	if typ == w.StageTransitionTypeOutbound {
		i++
		if i == len(p.Stages) {
			return fieldError("transitionType", "stage %s is the last stage of pipeline %s: it has no Outbound transition", stage, p.Name)
		}
	} else if i == 0 {
		return fieldError("transitionType", "stage %s is the first stage of pipeline %s: it has no Inbound transition", stage, p.Name)
	}
	door := p.Stages[i].Name
	now := h.st.Now()
	_, err := h.st.UpdatePipeline(ctx, p.Name, func(cur *model.Pipeline) error {
		if !slices.ContainsFunc(cur.Stages, func(s model.PipelineStage) bool { return s.Name == door }) {
			return stageNotFound(cur.Name, door) // the pipeline was updated meanwhile
		}
		if cur.Transitions == nil {
			cur.Transitions = map[string]model.Transition{}
		}
		cur.Transitions[door] = model.Transition{Enabled: enabled, Reason: reason, LastChangedBy: h.caller(), LastChangedAt: now}
		return nil
	})
	if err != nil {
		return h.mapError(err, p.Name)
	}
	h.logger.Info("stage transition changed", "pipeline", p.Name, "stage", door, "enabled", enabled, "reason", reason)
	return nil
}
