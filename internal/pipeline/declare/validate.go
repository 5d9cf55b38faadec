package declare

import (
	"fmt"
	"maps"
	"slices"

	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
)

// Limits of a pipeline (ref: pipeline.md 3.1, 3.11).
const (
	MinStages          = 2
	MaxStages          = 50
	MaxStageActions    = 50
	MaxPipelineActions = 500
	MaxVariables       = 50
	MaxTriggers        = 50
	MaxRunOrder        = 999
)

// Pipeline types, failure results and retry modes.
const (
	TypeV1 = string(w.PipelineTypeV1)
	TypeV2 = string(w.PipelineTypeV2)

	OnFailureFail     = string(w.ResultFail)
	OnFailureRetry    = string(w.ResultRetry)
	OnFailureRollback = string(w.ResultRollback)
	OnFailureSkip     = string(w.ResultSkip)

	RetryFailedActions = string(w.StageRetryModeFailedActions)
	RetryAllActions    = string(w.StageRetryModeAllActions)
)

// Validate checks a pipeline declaration against CodePipeline's structure
// rules and the action providers wharf runs. The error is an *Error naming
// the first offending member; nil when the pipeline is valid. Defaults are
// not applied here (see FromWire), except that a zero runOrder counts as 1
// and a zero approval timeout as the default.
func Validate(p *model.Pipeline) error {
	if err := validate(p); err != nil {
		return err
	}
	return nil
}

// place is where an action runs: its stage and runOrder.
type place struct {
	stage    int
	runOrder int32
	action   string
	field    string
}

// before reports whether an action at a runs before one at b.
func (a place) before(b place) bool {
	return a.stage < b.stage || a.stage == b.stage && a.runOrder < b.runOrder
}

func runOrder(a model.PipelineAction) int32 {
	if a.RunOrder == 0 {
		return 1
	}
	return a.RunOrder
}

func stageField(i int) string { return fmt.Sprintf("pipeline.stages[%d]", i) }

func actionField(i, j int) string { return fmt.Sprintf("pipeline.stages[%d].actions[%d]", i, j) }

func validate(p *model.Pipeline) *Error {
	if err := validatePipeline(p); err != nil {
		return err
	}
	if err := validateStages(p); err != nil {
		return err
	}
	if err := validateFlow(p); err != nil {
		return err
	}
	return validateTriggers(p)
}

// validatePipeline checks the pipeline's own members.
func validatePipeline(p *model.Pipeline) *Error {
	if err := checkString("pipeline.name", p.Name, 1, 100, NamePattern); err != nil {
		return err
	}
	if err := checkString("pipeline.roleArn", p.RoleARN, 1, 1024, ""); err != nil {
		return err
	}
	if err := checkEnum("pipeline.artifactStore.type", p.ArtifactStore.Type, string(w.ArtifactStoreTypeS3)); err != nil {
		return err
	}
	if err := checkString("pipeline.artifactStore.location", p.ArtifactStore.Location, 3, 63, ""); err != nil {
		return err
	}
	if err := checkEnum("pipeline.pipelineType", p.PipelineType, TypeV1, TypeV2); err != nil {
		return err
	}
	if err := checkEnum("pipeline.executionMode", p.ExecutionMode, model.ModeQueued, model.ModeSuperseded, model.ModeParallel); err != nil {
		return err
	}
	if p.PipelineType != TypeV2 {
		switch {
		case p.ExecutionMode != model.ModeSuperseded:
			return structErr("pipeline.executionMode", "Execution mode %s can only be used with V2 pipelines.", p.ExecutionMode)
		case len(p.Variables) > 0:
			return structErr("pipeline.variables", "Pipeline variables can only be used with V2 pipelines.")
		case len(p.Triggers) > 0:
			return structErr("pipeline.triggers", "Triggers can only be used with V2 pipelines.")
		}
		for i, st := range p.Stages {
			if st.OnFailure != "" || st.RetryMode != "" {
				return stageErr(stageField(i)+".onFailure", "Stage level conditions can only be used with V2 pipelines.")
			}
		}
	}
	if len(p.Variables) > MaxVariables {
		return constraint("pipeline.variables", fmt.Sprint(len(p.Variables)), fmt.Sprintf("Member must have length less than or equal to %d", MaxVariables))
	}
	seen := map[string]bool{}
	for i, v := range p.Variables {
		f := fmt.Sprintf("pipeline.variables[%d]", i)
		if err := checkString(f+".name", v.Name, 1, 128, VariableNamePattern); err != nil {
			return err
		}
		if err := checkString(f+".defaultValue", v.DefaultValue, 0, 1000, ""); err != nil {
			return err
		}
		if err := checkString(f+".description", v.Description, 0, 200, ""); err != nil {
			return err
		}
		if seen[v.Name] {
			return structErr(f+".name", "Variable names must be unique. The following variable name is already in use: %s", v.Name)
		}
		seen[v.Name] = true
	}
	return nil
}

// validateStages checks stages and actions one by one.
func validateStages(p *model.Pipeline) *Error {
	switch n := len(p.Stages); {
	case n < MinStages:
		return structErr("pipeline.stages", "A pipeline must have at least %d stages; this one has %d", MinStages, n)
	case n > MaxStages:
		return newErr(w.ErrLimitExceededException, "pipeline.stages", "A pipeline can have at most %d stages; this one has %d", MaxStages, n)
	}
	stages := map[string]bool{}
	total := 0
	for i, st := range p.Stages {
		sf := stageField(i)
		if err := checkString(sf+".name", st.Name, 1, 100, NamePattern); err != nil {
			return err
		}
		if stages[st.Name] {
			return structErr(sf+".name", "Stage names must be unique in a pipeline: the stage name '%s' is used more than once", st.Name)
		}
		stages[st.Name] = true
		if err := validateFailure(p, i); err != nil {
			return err
		}
		switch n := len(st.Actions); {
		case n == 0:
			return stageErr(sf+".actions", "Stage '%s' must have at least one action", st.Name)
		case n > MaxStageActions:
			return newErr(w.ErrLimitExceededException, sf+".actions", "Stage '%s' has %d actions; a stage can have at most %d", st.Name, n, MaxStageActions)
		}
		total += len(st.Actions)
		if total > MaxPipelineActions {
			return newErr(w.ErrLimitExceededException, sf+".actions", "A pipeline can have at most %d actions", MaxPipelineActions)
		}
		actions := map[string]bool{}
		for j, a := range st.Actions {
			af := actionField(i, j)
			if err := checkString(af+".name", a.Name, 1, 100, NamePattern); err != nil {
				return err
			}
			if actions[a.Name] {
				return stageErr(af+".name", "Action names must be unique in a stage: the action name '%s' is used more than once in stage '%s'", a.Name, st.Name)
			}
			actions[a.Name] = true
			if err := validateAction(a, af); err != nil {
				return err
			}
			switch {
			case i == 0 && !IsSource(a):
				return structErr(af+".actionTypeId.category", "Pipeline should start with a stage that only contains source actions; "+
					"action '%s' of stage '%s' is a %s action", a.Name, st.Name, a.Category)
			case i > 0 && IsSource(a):
				return structErr(af+".actionTypeId.category", "Source actions can only be in the first stage of a pipeline; "+
					"action '%s' is in stage '%s'", a.Name, st.Name)
			}
		}
	}
	return nil
}

// validateFailure checks a stage's onFailure result.
func validateFailure(p *model.Pipeline, i int) *Error {
	st := p.Stages[i]
	f := stageField(i) + ".onFailure"
	if st.OnFailure == "" && st.RetryMode == "" {
		return nil
	}
	if err := checkEnum(f+".result", st.OnFailure, OnFailureRollback, OnFailureFail, OnFailureRetry, OnFailureSkip); err != nil {
		return err
	}
	if st.RetryMode != "" {
		if st.OnFailure != OnFailureRetry {
			return stageErr(f+".retryConfiguration", "Stage '%s': retryConfiguration can only be used when the onFailure result is RETRY", st.Name)
		}
		if err := checkEnum(f+".retryConfiguration.retryMode", st.RetryMode, RetryFailedActions, RetryAllActions); err != nil {
			return err
		}
	}
	if st.OnFailure == OnFailureRollback {
		switch {
		case i == 0:
			return stageErr(f+".result", "Stage '%s' cannot roll back on failure: rollback is not available for the source stage", st.Name)
		case p.ExecutionMode == model.ModeParallel:
			return stageErr(f+".result", "Stage '%s' cannot roll back on failure: rollback is not available in PARALLEL execution mode", st.Name)
		}
	}
	return nil
}

// validateAction checks one action on its own.
func validateAction(a model.PipelineAction, af string) *Error {
	if err := checkEnum(af+".actionTypeId.category", a.Category, categories()...); err != nil {
		return err
	}
	if err := checkEnum(af+".actionTypeId.owner", a.Owner, owners()...); err != nil {
		return err
	}
	if err := checkString(af+".actionTypeId.provider", a.Provider, 1, 35, ProviderPattern); err != nil {
		return err
	}
	if err := checkString(af+".actionTypeId.version", a.Version, 1, 9, ProviderPattern); err != nil {
		return err
	}
	if a.RunOrder != 0 {
		if err := checkRange(af+".runOrder", a.RunOrder, 1, MaxRunOrder); err != nil {
			return err
		}
	}
	if err := checkString(af+".namespace", a.Namespace, 0, 100, NamespacePattern); err != nil {
		return err
	}
	if a.Namespace == NamespaceCodePipeline || a.Namespace == NamespaceVariables {
		return actionErr(af+".namespace", "Action '%s' cannot use the namespace '%s': it is reserved", a.Name, a.Namespace)
	}
	if a.Region != "" {
		if err := checkString(af+".region", a.Region, 4, 30, ""); err != nil {
			return err
		}
	}
	for k, name := range a.InputArtifacts {
		f := fmt.Sprintf("%s.inputArtifacts[%d].name", af, k)
		if err := checkString(f, name, 1, 100, ArtifactNamePattern); err != nil {
			return err
		}
		if slices.Index(a.InputArtifacts, name) < k {
			return actionErr(f, "Action '%s' declares the input artifact '%s' more than once", a.Name, name)
		}
	}
	for k, name := range a.OutputArtifacts {
		f := fmt.Sprintf("%s.outputArtifacts[%d].name", af, k)
		if err := checkString(f, name, 1, 100, ArtifactNamePattern); err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.Configuration)) {
		if err := checkString(af+".configuration["+k+"]", k, 1, 50, ""); err != nil {
			return err
		}
		if err := checkString(af+".configuration["+k+"]", a.Configuration[k], 0, 1000, ""); err != nil {
			return err
		}
	}
	if err := checkProvider(a, af); err != nil {
		return err
	}
	if a.TimeoutInMinutes != 0 {
		if !IsManualApproval(a) {
			return actionErr(af+".timeoutInMinutes", "Action '%s' cannot have a timeoutInMinutes: it is available only to manual approval actions", a.Name)
		}
		return checkRange(af+".timeoutInMinutes", a.TimeoutInMinutes, MinApprovalTimeout, DefaultApprovalTimeout)
	}
	return nil
}

func categories() []string {
	var out []string
	for _, c := range w.ActionCategory("").Values() {
		out = append(out, string(c))
	}
	return out
}

func owners() []string {
	var out []string
	for _, o := range w.ActionOwner("").Values() {
		out = append(out, string(o))
	}
	return out
}

// validateFlow checks what flows between actions: artifacts, namespaces
// and variable references.
func validateFlow(p *model.Pipeline) *Error {
	outputs := map[string]place{}
	namespaces := map[string]place{}
	var nsOrder []string
	for i, st := range p.Stages {
		for j, a := range st.Actions {
			at := place{stage: i, runOrder: runOrder(a), action: a.Name, field: actionField(i, j)}
			for k, name := range a.OutputArtifacts {
				if prev, ok := outputs[name]; ok {
					return structErr(fmt.Sprintf("%s.outputArtifacts[%d].name", at.field, k),
						"Output artifact names must be unique in a pipeline: '%s' is an output of actions '%s' and '%s'", name, prev.action, a.Name)
				}
				outputs[name] = at
			}
			if a.Namespace != "" {
				if prev, ok := namespaces[a.Namespace]; ok {
					return structErr(at.field+".namespace", "Namespaces must be unique in a pipeline: '%s' is the namespace of actions '%s' and '%s'",
						a.Namespace, prev.action, a.Name)
				}
				namespaces[a.Namespace] = at
				nsOrder = append(nsOrder, a.Namespace)
			}
		}
	}
	for _, ns := range nsOrder {
		at := namespaces[ns]
		if prod, ok := outputs[ns]; ok {
			return structErr(at.field+".namespace", "The namespace '%s' of action '%s' is also the name of an output artifact of action '%s'; "+
				"namespaces must not clash with artifact names", ns, at.action, prod.action)
		}
	}
	variables := map[string]bool{}
	for _, v := range p.Variables {
		variables[v.Name] = true
	}
	for i, st := range p.Stages {
		for j, a := range st.Actions {
			at := place{stage: i, runOrder: runOrder(a), action: a.Name, field: actionField(i, j)}
			for k, name := range a.InputArtifacts {
				prod, ok := outputs[name]
				if !ok || !prod.before(at) {
					return structErr(fmt.Sprintf("%s.inputArtifacts[%d].name", at.field, k),
						"Input artifact '%s' of action '%s' is not declared as an output artifact of an action that runs before it "+
							"(in an earlier stage, or earlier in the same stage by runOrder)", name, a.Name)
				}
			}
			for _, key := range slices.Sorted(maps.Keys(a.Configuration)) {
				if err := checkRefs(st.Name, a, key, at, namespaces, variables); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkRefs checks the variable references of one configuration value.
func checkRefs(stage string, a model.PipelineAction, key string, at place, namespaces map[string]place, variables map[string]bool) *Error {
	f := at.field + ".configuration." + key
	where := func(t token) string {
		return fmt.Sprintf("\nStageName=[%s], ActionName=[%s], ActionConfigurationKey=[%s], VariableReferenceText=[%s]",
			stage, a.Name, key, t.text[2:len(t.text)-1])
	}
	for _, t := range scan(a.Configuration[key]) {
		if !t.ok {
			return actionErr(f, "Valid format for a pipeline execution variable reference is a namespace and a key separated by a period (.). "+
				"The following pipeline execution variable references are not valid.%s", where(t))
		}
		switch r := t.ref; r.Namespace {
		case NamespaceCodePipeline:
			if !codePipelineVariables[r.Name] {
				return actionErr(f, "The following pipeline execution variable references name a variable that the codepipeline namespace does not have; "+
					"it has PipelineExecutionId.%s", where(t))
			}
		case NamespaceVariables:
			if !variables[r.Name] {
				return actionErr(f, "The referenced variables haven't been declared in the pipeline's variables.%s", where(t))
			}
		default:
			prod, ok := namespaces[r.Namespace]
			switch {
			case !ok:
				return actionErr(f, "Valid format for a pipeline execution variable reference is a namespace and a key separated by a period (.). "+
					"The following pipeline execution variables are referencing a namespace that does not exist.%s", where(t))
			case !prod.before(at):
				return actionErr(f, "The following pipeline execution variables are referencing the namespace of action '%s', "+
					"which does not run before action '%s' (it must be in an earlier stage, or earlier in the same stage by runOrder).%s",
					prod.action, a.Name, where(t))
			}
		}
	}
	return nil
}

// validateTriggers checks V2 triggers against the source actions.
func validateTriggers(p *model.Pipeline) *Error {
	if len(p.Triggers) > MaxTriggers {
		return constraint("pipeline.triggers", fmt.Sprint(len(p.Triggers)), fmt.Sprintf("Member must have length less than or equal to %d", MaxTriggers))
	}
	sources := map[string]model.PipelineAction{}
	for _, a := range p.Stages[0].Actions {
		sources[a.Name] = a
	}
	seen := map[string]bool{}
	for i, t := range p.Triggers {
		f := fmt.Sprintf("pipeline.triggers[%d]", i)
		if err := checkEnum(f+".providerType", t.ProviderType, string(w.PipelineTriggerProviderTypeCodeStarSourceConnection)); err != nil {
			return err
		}
		gf := f + ".gitConfiguration.sourceActionName"
		if err := checkString(gf, t.SourceActionName, 1, 100, NamePattern); err != nil {
			return err
		}
		a, ok := sources[t.SourceActionName]
		switch {
		case !ok:
			return structErr(gf, "The trigger's source action '%s' is not an action of the pipeline's first stage", t.SourceActionName)
		case a.Provider != "CodeCommit" && a.Provider != "CodeStarSourceConnection":
			return structErr(gf, "The trigger's source action '%s' has provider %s; triggers need a CodeCommit or CodeStarSourceConnection source action",
				t.SourceActionName, a.Provider)
		case seen[t.SourceActionName]:
			return structErr(gf, "The source action '%s' has more than one trigger; a source action can have one trigger", t.SourceActionName)
		}
		seen[t.SourceActionName] = true
		if len(t.Push) > 3 {
			return constraint(f+".gitConfiguration.push", fmt.Sprint(len(t.Push)), "Member must have length less than or equal to 3")
		}
		for k, push := range t.Push {
			pf := fmt.Sprintf("%s.gitConfiguration.push[%d]", f, k)
			if (push.Tags == nil) == (push.Branches == nil) || push.Tags != nil && push.FilePaths != nil {
				return structErr(pf, "The trigger configuration for the source action is not valid. Make sure to choose valid filter combinations.")
			}
			for _, err := range []*Error{checkGlobs(pf+".branches", push.Branches), checkGlobs(pf+".tags", push.Tags),
				checkGlobs(pf+".filePaths", push.FilePaths)} {
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkGlobs(f string, ie *model.IncludeExclude) *Error {
	if ie == nil {
		return nil
	}
	if len(ie.Includes) == 0 && len(ie.Excludes) == 0 {
		return structErr(f, "The trigger configuration for the source action is not valid: a filter needs includes or excludes.")
	}
	if err := checkGlobList(f+".includes", ie.Includes); err != nil {
		return err
	}
	return checkGlobList(f+".excludes", ie.Excludes)
}

func checkGlobList(f string, list []string) *Error {
	if len(list) > 8 {
		return constraint(f, fmt.Sprint(len(list)), "Member must have length less than or equal to 8")
	}
	for i, g := range list {
		if err := checkString(fmt.Sprintf("%s[%d]", f, i), g, 1, 255, ""); err != nil {
			return err
		}
	}
	return nil
}
