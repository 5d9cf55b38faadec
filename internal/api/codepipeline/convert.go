package codepipeline

import (
	"maps"
	"slices"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline/declare"
)

// Converters from executions to their wire shapes. Status strings are the
// model's (they are CodePipeline's); the one thing decided here is that an
// execution asked to stop shows Stopping until the engine has acted on it.

// execStatus is an execution's status as clients see it.
func execStatus(ex *model.PipelineExecution) string {
	if ex.StopRequested && ex.Status == model.ExecInProgress {
		return model.ExecStopping
	}
	return ex.Status
}

// stageStatus is the status of an execution's stage as clients see it.
func stageStatus(ex *model.PipelineExecution, st *model.StageExecution) string {
	if ex.StopRequested && st.Status == model.StageInProgress && !model.ExecTerminal(ex.Status) {
		return model.StageStopping
	}
	return st.Status
}

// declaration returns the declaration an execution runs: its pipeline
// version, or the current one when that version is gone.
func (h *Handler) declaration(ex *model.PipelineExecution) *model.Pipeline {
	if d, ok := h.st.PipelineVersion(ex.Pipeline, ex.PipelineVersion); ok {
		return d
	}
	d, _ := h.st.Pipeline(ex.Pipeline)
	return d
}

// stageExec returns an execution's record of the stage named name.
func stageExec(ex *model.PipelineExecution, name string) (*model.StageExecution, int) {
	for i := range ex.Stages {
		if ex.Stages[i].Name == name {
			return &ex.Stages[i], i
		}
	}
	return nil, -1
}

// actionRun returns a stage record's run of the action named name.
func actionRun(st *model.StageExecution, name string) *model.ActionExecution {
	if st == nil {
		return nil
	}
	for i := range st.Actions {
		if st.Actions[i].Name == name {
			return &st.Actions[i]
		}
	}
	return nil
}

// revision is what an execution knows of one source action's revision.
type revision struct {
	action   string
	artifact string
	id       string
	summary  string
	run      *model.ActionExecution
}

// revisions lists the source revisions of an execution: what its source
// actions fetched, or what it was started with before they ran.
func revisions(ex *model.PipelineExecution, d *model.Pipeline) []revision {
	if d == nil || len(d.Stages) == 0 {
		return nil
	}
	st, _ := stageExec(ex, d.Stages[0].Name)
	var out []revision
	for _, a := range d.Stages[0].Actions {
		if !declare.IsSource(a) {
			continue
		}
		r := revision{action: a.Name, id: ex.SourceRevisions[a.Name], run: actionRun(st, a.Name)}
		if len(a.OutputArtifacts) > 0 {
			r.artifact = a.OutputArtifacts[0]
		}
		if r.run != nil && r.run.Revision != "" {
			r.id, r.summary = r.run.Revision, r.run.RevisionSummary
		}
		if r.id != "" {
			out = append(out, r)
		}
	}
	return out
}

func executionToWire(ex *model.PipelineExecution, d *model.Pipeline) *w.PipelineExecution {
	out := &w.PipelineExecution{
		PipelineName:        ex.Pipeline,
		PipelineVersion:     ex.PipelineVersion,
		PipelineExecutionId: ex.ID,
		Status:              w.PipelineExecutionStatus(execStatus(ex)),
		StatusSummary:       ex.StatusSummary,
		ExecutionMode:       w.ExecutionMode(ex.Mode),
		ExecutionType:       executionType(ex),
		RollbackMetadata:    rollbackMetadata(ex),
		Trigger:             &w.ExecutionTrigger{TriggerType: w.TriggerType(ex.TriggerType), TriggerDetail: ex.TriggerDetail},
		ArtifactRevisions:   []w.ArtifactRevision{},
	}
	for _, r := range revisions(ex, d) {
		ar := w.ArtifactRevision{Name: r.artifact, RevisionId: r.id, RevisionSummary: r.summary}
		if r.run != nil {
			ar.Created = awsjson.NewTimestamp(r.run.LastChange)
		}
		out.ArtifactRevisions = append(out.ArtifactRevisions, ar)
	}
	for _, name := range slices.Sorted(maps.Keys(ex.Variables)) {
		out.Variables = append(out.Variables, w.ResolvedPipelineVariable{Name: name, ResolvedValue: ex.Variables[name]})
	}
	return out
}

func summaryToWire(ex *model.PipelineExecution, d *model.Pipeline) w.PipelineExecutionSummary {
	out := w.PipelineExecutionSummary{
		PipelineExecutionId: ex.ID,
		Status:              w.PipelineExecutionStatus(execStatus(ex)),
		StatusSummary:       ex.StatusSummary,
		StartTime:           awsjson.NewTimestamp(ex.StartTime),
		LastUpdateTime:      awsjson.NewTimestamp(ex.LastUpdate),
		ExecutionMode:       w.ExecutionMode(ex.Mode),
		ExecutionType:       executionType(ex),
		RollbackMetadata:    rollbackMetadata(ex),
		Trigger:             &w.ExecutionTrigger{TriggerType: w.TriggerType(ex.TriggerType), TriggerDetail: ex.TriggerDetail},
		SourceRevisions:     []w.SourceRevision{},
	}
	if ex.StopRequested {
		out.StopTrigger = &w.StopExecutionTrigger{Reason: ex.StopReason}
	}
	for _, r := range revisions(ex, d) {
		out.SourceRevisions = append(out.SourceRevisions, w.SourceRevision{ActionName: r.action, RevisionId: r.id, RevisionSummary: r.summary})
	}
	return out
}

// actionExecToWire is an action's latest execution in GetPipelineState.
func actionExecToWire(r *model.ActionExecution) *w.ActionExecution {
	out := &w.ActionExecution{
		ActionExecutionId:    r.ID,
		Status:               w.ActionExecutionStatus(r.Status),
		Summary:              r.Summary,
		LastStatusChange:     awsjson.NewTimestamp(r.LastChange),
		ExternalExecutionId:  r.ExternalID,
		ExternalExecutionUrl: r.ExternalURL,
		ErrorDetails:         errorDetails(r),
	}
	if out.Summary == "" {
		out.Summary = r.ApprovalSummary
	}
	if r.Status == model.ActionInProgress {
		out.Token = r.Token
	}
	return out
}

func errorDetails(r *model.ActionExecution) *w.ErrorDetails {
	if r.ErrorCode == "" && r.ErrorMessage == "" {
		return nil
	}
	return &w.ErrorDetails{Code: r.ErrorCode, Message: r.ErrorMessage}
}

func artifactsToWire(store model.ArtifactStore, refs []model.ArtifactRef) []w.ArtifactDetail {
	out := []w.ArtifactDetail{}
	for _, a := range refs {
		d := w.ArtifactDetail{Name: a.Name}
		if a.Key != "" {
			d.S3location = &w.S3Location{Bucket: store.Location, Key: a.Key}
		}
		out = append(out, d)
	}
	return out
}

// actionDetailToWire is one entry of ListActionExecutions; a is the
// action's declaration in the execution's pipeline version (zero when it
// is gone).
func actionDetailToWire(ex *model.PipelineExecution, stage string, a model.PipelineAction, store model.ArtifactStore, r *model.ActionExecution) w.ActionExecutionDetail {
	out := w.ActionExecutionDetail{
		PipelineExecutionId: ex.ID,
		PipelineVersion:     ex.PipelineVersion,
		StageName:           stage,
		ActionName:          r.Name,
		ActionExecutionId:   r.ID,
		Status:              w.ActionExecutionStatus(r.Status),
		StartTime:           awsjson.NewTimestamp(r.Start),
		LastUpdateTime:      awsjson.NewTimestamp(r.LastChange),
		Input: &w.ActionExecutionInput{
			Configuration:         maps.Clone(a.Configuration),
			ResolvedConfiguration: maps.Clone(r.ResolvedConfig),
			InputArtifacts:        artifactsToWire(store, r.InputArtifacts),
			Namespace:             a.Namespace,
			Region:                a.Region,
			RoleArn:               a.RoleARN,
		},
		Output: &w.ActionExecutionOutput{
			OutputArtifacts: artifactsToWire(store, r.OutputArtifacts),
			OutputVariables: maps.Clone(r.OutputVariables),
			ExecutionResult: &w.ActionExecutionResult{
				ExternalExecutionId:      r.ExternalID,
				ExternalExecutionSummary: r.Summary,
				ExternalExecutionUrl:     r.ExternalURL,
				ErrorDetails:             errorDetails(r),
			},
		},
	}
	if a.Category != "" {
		out.Input.ActionTypeId = &w.ActionTypeId{Category: w.ActionCategory(a.Category), Owner: w.ActionOwner(a.Owner), Provider: a.Provider, Version: a.Version}
	}
	if out.Output.ExecutionResult.ExternalExecutionSummary == "" {
		out.Output.ExecutionResult.ExternalExecutionSummary = r.ApprovalSummary
	}
	return out
}

func executionType(ex *model.PipelineExecution) w.ExecutionType {
	if ex.Type == model.ExecRollback {
		return w.ExecutionTypeRollback
	}
	return w.ExecutionTypeStandard
}

func rollbackMetadata(ex *model.PipelineExecution) *w.PipelineRollbackMetadata {
	if ex.RollbackTarget == "" {
		return nil
	}
	return &w.PipelineRollbackMetadata{RollbackTargetPipelineExecutionId: ex.RollbackTarget}
}
