package codepipeline

import (
	"context"
	"errors"
	"slices"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline/declare"
)

// errStale means an execution changed between the lookup and the update;
// the handler looks again.
var errStale = errors.New("execution changed")

// PutApprovalResult implements CodePipeline PutApprovalResult: it records
// the answer on the manual approval run that holds the token; the engine
// then finishes the action (Succeeded when approved, Failed when
// rejected).
func (h *Handler) PutApprovalResult(ctx context.Context, in *w.PutApprovalResultInput) (*w.PutApprovalResultOutput, error) {
	if err := checks(
		declare.CheckName("pipelineName", in.PipelineName),
		declare.CheckName("stageName", in.StageName),
		declare.CheckName("actionName", in.ActionName),
		declare.CheckString("token", in.Token, 1, 0, declare.UUIDPattern),
		declare.CheckString("result.summary", in.Result.Summary, 0, 512, ""),
	); err != nil {
		return nil, err
	}
	p, ok := h.st.Pipeline(in.PipelineName)
	if !ok {
		return nil, h.pipelineNotFound(in.PipelineName)
	}
	i := slices.IndexFunc(p.Stages, func(s model.PipelineStage) bool { return s.Name == in.StageName })
	if i < 0 {
		return nil, stageNotFound(p.Name, in.StageName)
	}
	j := slices.IndexFunc(p.Stages[i].Actions, func(a model.PipelineAction) bool { return a.Name == in.ActionName })
	if j < 0 {
		return nil, api.Errorf(w.ErrActionNotFoundException, "Action '%s' does not exist in stage '%s' of pipeline '%s'", in.ActionName, in.StageName, p.Name)
	}
	if a := p.Stages[i].Actions[j]; !declare.IsManualApproval(a) {
		return nil, api.Errorf(w.ErrActionNotFoundException, "Action '%s' of stage '%s' is a %s/%s action, not a manual approval",
			in.ActionName, in.StageName, a.Category, a.Provider)
	}
	for attempt := 0; ; attempt++ {
		ex, run := findApproval(h.st.PipelineExecutions(p.Name), in.StageName, in.ActionName, in.Token)
		if run == nil {
			return nil, api.Errorf(w.ErrInvalidApprovalTokenException,
				"The token '%s' does not match an approval request of action '%s' in stage '%s'", in.Token, in.ActionName, in.StageName)
		}
		if err := approvalOpen(run, in.ActionName); err != nil {
			return nil, err
		}
		now := h.st.Now()
		_, err := h.st.UpdatePipelineExecution(ctx, ex.Pipeline, ex.ID, func(cur *model.PipelineExecution) error {
			st, _ := stageExec(cur, in.StageName)
			r := actionRun(st, in.ActionName)
			if r == nil || r.Token != in.Token {
				return errStale
			}
			if err := approvalOpen(r, in.ActionName); err != nil {
				return err
			}
			r.ApprovalStatus, r.ApprovalSummary = string(in.Result.Status), in.Result.Summary
			cur.LastUpdate = now
			return nil
		})
		switch {
		case errors.Is(err, errStale) && attempt < 3:
			continue
		case err != nil:
			return nil, h.mapExecError(err, ex)
		}
		h.logger.Info("approval answered", "pipeline", p.Name, "execution", ex.ID, "stage", in.StageName, "action", in.ActionName, "result", in.Result.Status)
		return &w.PutApprovalResultOutput{ApprovedAt: awsjson.NewTimestamp(now)}, nil
	}
}

// findApproval finds the run of an approval action that issued token.
func findApproval(execs []*model.PipelineExecution, stage, action, token string) (*model.PipelineExecution, *model.ActionExecution) {
	for _, ex := range execs {
		st, _ := stageExec(ex, stage)
		if r := actionRun(st, action); r != nil && r.Token == token {
			return ex, r
		}
	}
	return nil, nil
}

// approvalOpen reports whether an approval run still waits for an answer.
func approvalOpen(r *model.ActionExecution, action string) error {
	if r.ApprovalStatus != "" || r.Status != model.ActionInProgress {
		status := r.ApprovalStatus
		if status == "" {
			status = r.Status
		}
		return api.Errorf(w.ErrApprovalAlreadyCompletedException, "The approval request of action '%s' is already complete: %s", action, status)
	}
	return nil
}
