package declare

import (
	"fmt"
	"maps"
	"slices"

	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
)

// FromWire converts a pipeline declaration to the model with CodePipeline's
// defaults filled in and checks it (Validate). The result has no ARN,
// version, tags, times or transitions: those belong to the caller. Members
// the model cannot hold are refused with the exception AWS would use for a
// declaration it cannot run (blockers, stage conditions, Commands-action
// fields, pull request triggers, several artifact stores); an artifact
// store's encryptionKey is accepted and dropped.
func FromWire(d *w.PipelineDeclaration) (*model.Pipeline, error) {
	p, err := fromWire(d)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func fromWire(d *w.PipelineDeclaration) (*model.Pipeline, *Error) {
	if d == nil {
		return nil, missing("pipeline")
	}
	store, err := artifactStore(d)
	if err != nil {
		return nil, err
	}
	p := &model.Pipeline{
		Name:          d.Name,
		RoleARN:       d.RoleArn,
		ArtifactStore: store,
		PipelineType:  string(d.PipelineType),
		ExecutionMode: string(d.ExecutionMode),
	}
	if p.PipelineType == "" {
		p.PipelineType = TypeV1
	}
	if p.ExecutionMode == "" {
		p.ExecutionMode = model.ModeSuperseded
	}
	for _, st := range d.Stages {
		p.Stages = append(p.Stages, stageFromWire(st))
	}
	for _, v := range d.Variables {
		p.Variables = append(p.Variables, model.PipelineVariable{Name: v.Name, DefaultValue: v.DefaultValue, Description: v.Description})
	}
	for _, t := range d.Triggers {
		p.Triggers = append(p.Triggers, triggerFromWire(t))
	}
	if err := validate(p); err != nil {
		return nil, err
	}
	if err := unsupported(d, p.PipelineType); err != nil {
		return nil, err
	}
	return p, nil
}

// artifactStore picks the pipeline's one artifact store.
func artifactStore(d *w.PipelineDeclaration) (model.ArtifactStore, *Error) {
	var s *w.ArtifactStore
	switch {
	case d.ArtifactStore != nil && len(d.ArtifactStores) > 0:
		return model.ArtifactStore{}, structErr("pipeline.artifactStores", "A pipeline declaration can have an artifactStore or artifactStores, not both")
	case d.ArtifactStore != nil:
		s = d.ArtifactStore
	case len(d.ArtifactStores) == 1:
		for _, v := range d.ArtifactStores {
			s = &v
		}
	case len(d.ArtifactStores) > 1:
		return model.ArtifactStore{}, structErr("pipeline.artifactStores",
			"wharf runs every action in one region: artifactStores can hold only one store (or use artifactStore)")
	default:
		return model.ArtifactStore{}, structErr("pipeline.artifactStore", "A pipeline declaration must have an artifactStore or artifactStores")
	}
	return model.ArtifactStore{Type: string(s.Type), Location: s.Location}, nil
}

func stageFromWire(st w.StageDeclaration) model.PipelineStage {
	out := model.PipelineStage{Name: st.Name}
	if f := st.OnFailure; f != nil {
		out.OnFailure = string(f.Result)
		if f.RetryConfiguration != nil {
			out.RetryMode = string(f.RetryConfiguration.RetryMode)
		}
		if out.OnFailure == OnFailureRetry && out.RetryMode == "" {
			out.RetryMode = RetryFailedActions
		}
	}
	for _, a := range st.Actions {
		out.Actions = append(out.Actions, actionFromWire(a))
	}
	return out
}

func actionFromWire(a w.ActionDeclaration) model.PipelineAction {
	out := model.PipelineAction{
		Name:      a.Name,
		RunOrder:  a.RunOrder,
		Namespace: a.Namespace,
		Region:    a.Region,
		RoleARN:   a.RoleArn,
	}
	if t := a.ActionTypeId; t != nil {
		out.Category, out.Owner, out.Provider, out.Version = string(t.Category), string(t.Owner), t.Provider, t.Version
	}
	if out.RunOrder == 0 {
		out.RunOrder = 1
	}
	if len(a.Configuration) > 0 {
		out.Configuration = maps.Clone(a.Configuration)
	}
	for _, in := range a.InputArtifacts {
		out.InputArtifacts = append(out.InputArtifacts, in.Name)
	}
	for _, o := range a.OutputArtifacts {
		out.OutputArtifacts = append(out.OutputArtifacts, o.Name)
	}
	if a.TimeoutInMinutes != nil {
		out.TimeoutInMinutes = *a.TimeoutInMinutes
	} else if IsManualApproval(out) {
		out.TimeoutInMinutes = DefaultApprovalTimeout
	}
	return out
}

func triggerFromWire(t w.PipelineTriggerDeclaration) model.PipelineTrigger {
	out := model.PipelineTrigger{ProviderType: string(t.ProviderType)}
	if g := t.GitConfiguration; g != nil {
		out.SourceActionName = g.SourceActionName
		for _, f := range g.Push {
			var pf model.PushFilter
			if f.Branches != nil {
				pf.Branches = &model.IncludeExclude{Includes: f.Branches.Includes, Excludes: f.Branches.Excludes}
			}
			if f.Tags != nil {
				pf.Tags = &model.IncludeExclude{Includes: f.Tags.Includes, Excludes: f.Tags.Excludes}
			}
			if f.FilePaths != nil {
				pf.FilePaths = &model.IncludeExclude{Includes: f.FilePaths.Includes, Excludes: f.FilePaths.Excludes}
			}
			out.Push = append(out.Push, pf)
		}
	}
	return out
}

// unsupported refuses the members of a valid declaration that wharf cannot
// run and the model cannot hold.
func unsupported(d *w.PipelineDeclaration, pipelineType string) *Error {
	for i, st := range d.Stages {
		sf := stageField(i)
		if len(st.Blockers) > 0 {
			return newErr(w.ErrInvalidBlockerDeclarationException, sf+".blockers", "Stage '%s': blockers are not supported by wharf", st.Name)
		}
		conditions := ""
		switch {
		case st.BeforeEntry != nil:
			conditions = sf + ".beforeEntry"
		case st.OnSuccess != nil:
			conditions = sf + ".onSuccess"
		case st.OnFailure != nil && len(st.OnFailure.Conditions) > 0:
			conditions = sf + ".onFailure.conditions"
		}
		if conditions != "" {
			if pipelineType != TypeV2 {
				return stageErr(conditions, "Stage level conditions can only be used with V2 pipelines.")
			}
			return stageErr(conditions, "Stage '%s': stage conditions (beforeEntry, onSuccess, onFailure conditions) are not supported by wharf", st.Name)
		}
		for j, a := range st.Actions {
			af := actionField(i, j)
			switch {
			case len(a.Commands) > 0:
				return actionErr(af+".commands", "The following action cannot contain a commands field: %s. To use the commands field, use a compute action.", a.Name)
			case len(a.EnvironmentVariables) > 0:
				return actionErr(af+".environmentVariables", "The following action cannot contain an environmentVariables field: %s. "+
					"To use the environmentVariables field, use a compute action.", a.Name)
			case len(a.OutputVariables) > 0:
				return actionErr(af+".outputVariables", "The following action cannot contain an outputVariables field: %s. "+
					"To use the outputVariables field, use a compute action.", a.Name)
			}
			for k, o := range a.OutputArtifacts {
				if len(o.Files) > 0 {
					return actionErr(fmt.Sprintf("%s.outputArtifacts[%d].files", af, k), "The following action cannot contain output artifact files: %s. "+
						"To use the files field, use a compute action.", a.Name)
				}
			}
		}
	}
	for i, t := range d.Triggers {
		if t.GitConfiguration != nil && len(t.GitConfiguration.PullRequest) > 0 {
			return structErr(fmt.Sprintf("pipeline.triggers[%d].gitConfiguration.pullRequest", i),
				"Pull request triggers are not supported by wharf: a trigger can have push filters only")
		}
	}
	return nil
}

// ToWire converts a stored pipeline to its declaration, version included.
func ToWire(p *model.Pipeline) *w.PipelineDeclaration {
	out := &w.PipelineDeclaration{
		Name:          p.Name,
		RoleArn:       p.RoleARN,
		ArtifactStore: &w.ArtifactStore{Type: w.ArtifactStoreType(p.ArtifactStore.Type), Location: p.ArtifactStore.Location},
		PipelineType:  w.PipelineType(p.PipelineType),
		ExecutionMode: w.ExecutionMode(p.ExecutionMode),
		Version:       p.Version,
		Stages:        []w.StageDeclaration{},
	}
	for _, st := range p.Stages {
		out.Stages = append(out.Stages, stageToWire(st))
	}
	for _, v := range p.Variables {
		out.Variables = append(out.Variables, w.PipelineVariableDeclaration{Name: v.Name, DefaultValue: v.DefaultValue, Description: v.Description})
	}
	for _, t := range p.Triggers {
		out.Triggers = append(out.Triggers, triggerToWire(t))
	}
	return out
}

func stageToWire(st model.PipelineStage) w.StageDeclaration {
	out := w.StageDeclaration{Name: st.Name, Actions: []w.ActionDeclaration{}}
	if st.OnFailure != "" {
		out.OnFailure = &w.FailureConditions{Result: w.Result(st.OnFailure)}
		if st.RetryMode != "" {
			out.OnFailure.RetryConfiguration = &w.RetryConfiguration{RetryMode: w.StageRetryMode(st.RetryMode)}
		}
	}
	for _, a := range st.Actions {
		out.Actions = append(out.Actions, actionToWire(a))
	}
	return out
}

func actionToWire(a model.PipelineAction) w.ActionDeclaration {
	out := w.ActionDeclaration{
		Name: a.Name,
		ActionTypeId: &w.ActionTypeId{Category: w.ActionCategory(a.Category), Owner: w.ActionOwner(a.Owner),
			Provider: a.Provider, Version: a.Version},
		RunOrder:      runOrder(a),
		Configuration: maps.Clone(a.Configuration),
		Namespace:     a.Namespace,
		Region:        a.Region,
		RoleArn:       a.RoleARN,
		// The SDKs want these lists present, as AWS sends them.
		InputArtifacts:  []w.InputArtifact{},
		OutputArtifacts: []w.OutputArtifact{},
	}
	for _, n := range a.InputArtifacts {
		out.InputArtifacts = append(out.InputArtifacts, w.InputArtifact{Name: n})
	}
	for _, n := range a.OutputArtifacts {
		out.OutputArtifacts = append(out.OutputArtifacts, w.OutputArtifact{Name: n})
	}
	if a.TimeoutInMinutes != 0 {
		t := a.TimeoutInMinutes
		out.TimeoutInMinutes = &t
	}
	return out
}

func triggerToWire(t model.PipelineTrigger) w.PipelineTriggerDeclaration {
	g := &w.GitConfiguration{SourceActionName: t.SourceActionName}
	for _, f := range t.Push {
		var pf w.GitPushFilter
		if f.Branches != nil {
			pf.Branches = &w.GitBranchFilterCriteria{Includes: slices.Clone(f.Branches.Includes), Excludes: slices.Clone(f.Branches.Excludes)}
		}
		if f.Tags != nil {
			pf.Tags = &w.GitTagFilterCriteria{Includes: slices.Clone(f.Tags.Includes), Excludes: slices.Clone(f.Tags.Excludes)}
		}
		if f.FilePaths != nil {
			pf.FilePaths = &w.GitFilePathFilterCriteria{Includes: slices.Clone(f.FilePaths.Includes), Excludes: slices.Clone(f.FilePaths.Excludes)}
		}
		g.Push = append(g.Push, pf)
	}
	return w.PipelineTriggerDeclaration{ProviderType: w.PipelineTriggerProviderType(t.ProviderType), GitConfiguration: g}
}
