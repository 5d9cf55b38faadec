package declare

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
)

// example returns the reference's example pipeline (pipeline.md 3.2, with
// a CodeCommit source), decoded as a CreatePipeline request would be.
func example(t testing.TB) *w.PipelineDeclaration {
	t.Helper()
	buf, err := os.ReadFile("testdata/example.json")
	if err != nil {
		t.Fatal(err)
	}
	var d w.PipelineDeclaration
	if err := awsjson.Decode(buf, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// Shorthands for the example's stages and actions.
func stage(d *w.PipelineDeclaration, i int) *w.StageDeclaration { return &d.Stages[i] }

func action(d *w.PipelineDeclaration, i, j int) *w.ActionDeclaration { return &d.Stages[i].Actions[j] }

func typ(category, provider string) *w.ActionTypeId {
	return &w.ActionTypeId{Category: w.ActionCategory(category), Owner: "AWS", Provider: provider, Version: "1"}
}

func approval(name string) w.ActionDeclaration {
	return w.ActionDeclaration{Name: name, ActionTypeId: typ("Approval", "Manual")}
}

func build(name string, inputs []string, outputs ...string) w.ActionDeclaration {
	a := w.ActionDeclaration{Name: name, ActionTypeId: typ("Build", "CodeBuild"), Configuration: map[string]string{"ProjectName": "p"}}
	for _, in := range inputs {
		a.InputArtifacts = append(a.InputArtifacts, w.InputArtifact{Name: in})
	}
	for _, out := range outputs {
		a.OutputArtifacts = append(a.OutputArtifacts, w.OutputArtifact{Name: out})
	}
	return a
}

// v1 turns the example into a V1 pipeline without V2 features.
func v1(d *w.PipelineDeclaration) {
	d.PipelineType, d.ExecutionMode, d.Variables, d.Triggers = "", "", nil, nil
	stage(d, 3).OnFailure = nil
	action(d, 3, 0).Configuration["DeploymentTimeout"] = "30"
}

func TestExamplePasses(t *testing.T) {
	d := example(t)
	if err := (&w.CreatePipelineInput{Pipeline: d}).Validate(); err != nil {
		t.Fatalf("generated validation: %v", err)
	}
	p, err := FromWire(d)
	if err != nil {
		t.Fatalf("FromWire: %v", err)
	}
	if p.PipelineType != "V2" || p.ExecutionMode != "QUEUED" || len(p.Stages) != 4 || p.ArtifactStore != (model.ArtifactStore{Type: "S3", Location: "artifacts"}) {
		t.Fatalf("pipeline %+v", p)
	}
	src := p.Stages[0].Actions[0]
	if src.RunOrder != 1 || src.Namespace != "SourceVariables" || fmt.Sprint(src.OutputArtifacts) != "[Src]" || src.Configuration["BranchName"] != "main" {
		t.Errorf("source %+v", src)
	}
	if gate := p.Stages[2].Actions[0]; gate.TimeoutInMinutes != 1440 {
		t.Errorf("gate timeout %d", gate.TimeoutInMinutes)
	}
	if p.Stages[3].OnFailure != "ROLLBACK" {
		t.Errorf("deploy onFailure %q", p.Stages[3].OnFailure)
	}
	tr := p.Triggers[0]
	if tr.SourceActionName != "Checkout" || fmt.Sprint(tr.Push[0].Branches.Includes) != "[main]" || fmt.Sprint(tr.Push[0].FilePaths.Excludes) != "[docs/**]" {
		t.Errorf("trigger %+v", tr)
	}
}

func TestDefaults(t *testing.T) {
	d := example(t)
	v1(d)
	action(d, 2, 0).TimeoutInMinutes = nil
	action(d, 1, 0).RunOrder = 0
	p, err := FromWire(d)
	if err != nil {
		t.Fatal(err)
	}
	if p.PipelineType != "V1" || p.ExecutionMode != "SUPERSEDED" {
		t.Errorf("type %s mode %s", p.PipelineType, p.ExecutionMode)
	}
	if p.Stages[1].Actions[0].RunOrder != 1 {
		t.Errorf("runOrder %d", p.Stages[1].Actions[0].RunOrder)
	}
	if p.Stages[2].Actions[0].TimeoutInMinutes != DefaultApprovalTimeout {
		t.Errorf("approval timeout %d", p.Stages[2].Actions[0].TimeoutInMinutes)
	}

	d = example(t)
	stage(d, 3).OnFailure = &w.FailureConditions{Result: "RETRY"}
	p, err = FromWire(d)
	if err != nil || p.Stages[3].RetryMode != RetryFailedActions {
		t.Fatalf("RETRY: %v %+v", err, p)
	}

	// One artifact store in artifactStores stands for artifactStore.
	d = example(t)
	d.ArtifactStores = map[string]w.ArtifactStore{"us-east-1": *d.ArtifactStore}
	d.ArtifactStore = nil
	if p, err = FromWire(d); err != nil || p.ArtifactStore.Location != "artifacts" {
		t.Fatalf("artifactStores: %v", err)
	}
}

// TestRoundTrip checks that a declaration comes back from the model as
// stored, and converts to the same model again.
func TestRoundTrip(t *testing.T) {
	d := example(t)
	p, err := FromWire(d)
	if err != nil {
		t.Fatal(err)
	}
	p.Version = 3
	back := ToWire(p)
	if back.Version != 3 || back.Stages[1].Actions[0].RunOrder != 1 || back.Stages[2].Actions[0].InputArtifacts == nil {
		t.Fatalf("ToWire %+v", back)
	}
	// The declaration is the input with its defaults filled in.
	want := example(t)
	want.Version = 3
	for i := range want.Stages {
		for j := range want.Stages[i].Actions {
			a := &want.Stages[i].Actions[j]
			a.RunOrder = 1
			if a.InputArtifacts == nil {
				a.InputArtifacts = []w.InputArtifact{}
			}
			if a.OutputArtifacts == nil {
				a.OutputArtifacts = []w.OutputArtifact{}
			}
		}
	}
	got, _ := json.Marshal(back)
	exp, _ := json.Marshal(want)
	if string(got) != string(exp) {
		t.Fatalf("ToWire:\n got %s\nwant %s", got, exp)
	}
	p2, err := FromWire(back)
	if err != nil {
		t.Fatal(err)
	}
	p2.Version = 3
	a, _ := json.Marshal(p)
	b, _ := json.Marshal(p2)
	if string(a) != string(b) {
		t.Fatalf("model round trip:\n%s\n%s", a, b)
	}
}

func TestValidateRules(t *testing.T) {
	long := strings.Repeat("a", 101)
	for _, tt := range []struct {
		name   string
		mutate func(d *w.PipelineDeclaration)
		code   string
		field  string // the offending member, named in the message
		text   string // a fragment of the message
	}{
		// Pipeline members.
		{"name pattern", func(d *w.PipelineDeclaration) { d.Name = "web release" }, w.ErrValidationException, "pipeline.name", "regular expression pattern"},
		{"name length", func(d *w.PipelineDeclaration) { d.Name = long }, w.ErrValidationException, "pipeline.name", "less than or equal to 100"},
		{"roleArn", func(d *w.PipelineDeclaration) { d.RoleArn = "" }, w.ErrValidationException, "pipeline.roleArn", "must not be null"},
		{"no artifact store", func(d *w.PipelineDeclaration) { d.ArtifactStore = nil }, w.ErrInvalidStructureException, "pipeline.artifactStore", "must have an artifactStore"},
		{"both artifact stores", func(d *w.PipelineDeclaration) {
			d.ArtifactStores = map[string]w.ArtifactStore{"us-east-1": *d.ArtifactStore}
		}, w.ErrInvalidStructureException, "pipeline.artifactStores", "not both"},
		{"several artifact stores", func(d *w.PipelineDeclaration) {
			d.ArtifactStores = map[string]w.ArtifactStore{"us-east-1": *d.ArtifactStore, "eu-west-1": *d.ArtifactStore}
			d.ArtifactStore = nil
		}, w.ErrInvalidStructureException, "pipeline.artifactStores", "one region"},
		{"artifact store location", func(d *w.PipelineDeclaration) { d.ArtifactStore.Location = "ab" }, w.ErrValidationException, "pipeline.artifactStore.location", "greater than or equal to 3"},
		{"pipeline type", func(d *w.PipelineDeclaration) { d.PipelineType = "V3" }, w.ErrValidationException, "pipeline.pipelineType", "[V1, V2]"},

		// V2-only features.
		{"V1 queued", func(d *w.PipelineDeclaration) { v1(d); d.ExecutionMode = "QUEUED" }, w.ErrInvalidStructureException, "pipeline.executionMode", "can only be used with V2 pipelines"},
		{"V1 parallel", func(d *w.PipelineDeclaration) { v1(d); d.PipelineType = "V1"; d.ExecutionMode = "PARALLEL" }, w.ErrInvalidStructureException, "pipeline.executionMode", "V2"},
		{"V1 variables", func(d *w.PipelineDeclaration) {
			v1(d)
			d.Variables = []w.PipelineVariableDeclaration{{Name: "A"}}
		}, w.ErrInvalidStructureException, "pipeline.variables", "Pipeline variables can only be used with V2 pipelines"},
		{"V1 triggers", func(d *w.PipelineDeclaration) {
			triggers := d.Triggers
			v1(d)
			d.Triggers = triggers
		}, w.ErrInvalidStructureException, "pipeline.triggers", "Triggers can only be used with V2 pipelines"},
		{"V1 onFailure", func(d *w.PipelineDeclaration) {
			v1(d)
			stage(d, 3).OnFailure = &w.FailureConditions{Result: "FAIL"}
		}, w.ErrInvalidStageDeclarationException, "pipeline.stages[3].onFailure", "Stage level conditions can only be used with V2 pipelines"},
		{"V1 beforeEntry", func(d *w.PipelineDeclaration) {
			v1(d)
			stage(d, 2).BeforeEntry = &w.BeforeEntryConditions{}
		}, w.ErrInvalidStageDeclarationException, "pipeline.stages[2].beforeEntry", "V2"},

		// Variables.
		{"variable name pattern", func(d *w.PipelineDeclaration) { d.Variables[0].Name = "A.B" }, w.ErrValidationException, "pipeline.variables[0].name", "pattern"},
		{"duplicate variable", func(d *w.PipelineDeclaration) {
			d.Variables = append(d.Variables, w.PipelineVariableDeclaration{Name: "DEPLOY_TIMEOUT"})
		}, w.ErrInvalidStructureException, "pipeline.variables[1].name", "The following variable name is already in use: DEPLOY_TIMEOUT"},

		// Stages.
		{"one stage", func(d *w.PipelineDeclaration) { d.Stages = d.Stages[:1]; d.Triggers = nil }, w.ErrInvalidStructureException, "pipeline.stages", "at least 2 stages"},
		{"51 stages", func(d *w.PipelineDeclaration) {
			for i := len(d.Stages); i < 51; i++ {
				d.Stages = append(d.Stages, w.StageDeclaration{Name: fmt.Sprint("S", i), Actions: []w.ActionDeclaration{approval("A")}})
			}
		}, w.ErrLimitExceededException, "pipeline.stages", "at most 50 stages"},
		{"stage name pattern", func(d *w.PipelineDeclaration) { stage(d, 1).Name = "Build it" }, w.ErrValidationException, "pipeline.stages[1].name", "pattern"},
		{"duplicate stage", func(d *w.PipelineDeclaration) { stage(d, 2).Name = "Build" }, w.ErrInvalidStructureException, "pipeline.stages[2].name", "'Build' is used more than once"},
		{"stage without actions", func(d *w.PipelineDeclaration) { stage(d, 2).Actions = []w.ActionDeclaration{} }, w.ErrInvalidStageDeclarationException, "pipeline.stages[2].actions", "at least one action"},
		{"51 actions in a stage", func(d *w.PipelineDeclaration) {
			for i := 1; i <= 50; i++ {
				stage(d, 2).Actions = append(stage(d, 2).Actions, approval(fmt.Sprint("A", i)))
			}
		}, w.ErrLimitExceededException, "pipeline.stages[2].actions", "at most 50"},
		{"501 actions", func(d *w.PipelineDeclaration) {
			for s := 0; s < 11; s++ {
				st := w.StageDeclaration{Name: fmt.Sprint("S", s)}
				for i := 0; i < 46; i++ {
					st.Actions = append(st.Actions, approval(fmt.Sprint("A", i)))
				}
				d.Stages = append(d.Stages, st)
			}
		}, w.ErrLimitExceededException, "pipeline.stages[14].actions", "at most 500 actions"},
		{"first stage not only source", func(d *w.PipelineDeclaration) {
			stage(d, 0).Actions = append(stage(d, 0).Actions, approval("Gate"))
		}, w.ErrInvalidStructureException, "pipeline.stages[0].actions[1].actionTypeId.category", "Pipeline should start with a stage that only contains source actions"},
		{"first stage without source", func(d *w.PipelineDeclaration) {
			d.Triggers = nil
			stage(d, 0).Actions = []w.ActionDeclaration{approval("Gate")}
		}, w.ErrInvalidStructureException, "pipeline.stages[0].actions[0].actionTypeId.category", "only contains source actions"},
		{"source in a later stage", func(d *w.PipelineDeclaration) {
			src := *action(d, 0, 0)
			src.Name, src.Namespace, src.OutputArtifacts = "Other", "", []w.OutputArtifact{{Name: "Other"}}
			stage(d, 2).Actions = append(stage(d, 2).Actions, src)
		}, w.ErrInvalidStructureException, "pipeline.stages[2].actions[1].actionTypeId.category", "only be in the first stage"},

		// Actions.
		{"action name pattern", func(d *w.PipelineDeclaration) { action(d, 2, 0).Name = "Prod/Gate" }, w.ErrValidationException, "pipeline.stages[2].actions[0].name", "pattern"},
		{"duplicate action", func(d *w.PipelineDeclaration) {
			stage(d, 2).Actions = append(stage(d, 2).Actions, approval("ProdGate"))
		}, w.ErrInvalidStageDeclarationException, "pipeline.stages[2].actions[1].name", "'ProdGate' is used more than once in stage 'Approve'"},
		{"category", func(d *w.PipelineDeclaration) { action(d, 2, 0).ActionTypeId.Category = "Gate" }, w.ErrValidationException, "pipeline.stages[2].actions[0].actionTypeId.category", "enum"},
		{"provider pattern", func(d *w.PipelineDeclaration) { action(d, 2, 0).ActionTypeId.Provider = "Man ual" }, w.ErrValidationException, "pipeline.stages[2].actions[0].actionTypeId.provider", "pattern"},
		{"unknown provider", func(d *w.PipelineDeclaration) { action(d, 1, 0).ActionTypeId.Provider = "Jenkins" }, w.ErrInvalidActionDeclarationException,
			"pipeline.stages[1].actions[0].actionTypeId", "Provider: 'Jenkins'"},
		{"custom owner", func(d *w.PipelineDeclaration) { action(d, 2, 0).ActionTypeId.Owner = "Custom" }, w.ErrInvalidActionDeclarationException,
			"pipeline.stages[2].actions[0].actionTypeId", "is not available"},
		{"version 2", func(d *w.PipelineDeclaration) { action(d, 2, 0).ActionTypeId.Version = "2" }, w.ErrInvalidActionDeclarationException,
			"pipeline.stages[2].actions[0].actionTypeId", "Version: '2'"},
		{"commands action", func(d *w.PipelineDeclaration) {
			a := action(d, 1, 0)
			a.ActionTypeId = &w.ActionTypeId{Category: "Compute", Owner: "AWS", Provider: "Commands", Version: "1"}
			a.Commands = []string{"make"}
		}, w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].actionTypeId", "Provider: 'Commands'"},
		{"runOrder 1000", func(d *w.PipelineDeclaration) { action(d, 1, 0).RunOrder = 1000 }, w.ErrValidationException, "pipeline.stages[1].actions[0].runOrder", "less than or equal to 999"},
		{"runOrder -1", func(d *w.PipelineDeclaration) { action(d, 1, 0).RunOrder = -1 }, w.ErrValidationException, "pipeline.stages[1].actions[0].runOrder", "greater than or equal to 1"},
		{"timeout on a build", func(d *w.PipelineDeclaration) { action(d, 1, 0).TimeoutInMinutes = new(int32(60)) }, w.ErrInvalidActionDeclarationException,
			"pipeline.stages[1].actions[0].timeoutInMinutes", "only to manual approval"},
		{"approval timeout over 7 days", func(d *w.PipelineDeclaration) { action(d, 2, 0).TimeoutInMinutes = new(int32(10081)) }, w.ErrValidationException,
			"pipeline.stages[2].actions[0].timeoutInMinutes", "less than or equal to 10080"},
		{"approval timeout under 5", func(d *w.PipelineDeclaration) { action(d, 2, 0).TimeoutInMinutes = new(int32(4)) }, w.ErrValidationException,
			"pipeline.stages[2].actions[0].timeoutInMinutes", "greater than or equal to 5"},
		{"commands on a build", func(d *w.PipelineDeclaration) { action(d, 1, 0).Commands = []string{"make"} }, w.ErrInvalidActionDeclarationException,
			"pipeline.stages[1].actions[0].commands", "cannot contain a commands field: DockerBuild"},
		{"output artifact files", func(d *w.PipelineDeclaration) { action(d, 1, 0).OutputArtifacts[0].Files = []string{"x"} }, w.ErrInvalidActionDeclarationException,
			"pipeline.stages[1].actions[0].outputArtifacts[0].files", "files"},
		{"output variables", func(d *w.PipelineDeclaration) { action(d, 1, 0).OutputVariables = []string{"X"} }, w.ErrInvalidActionDeclarationException,
			"pipeline.stages[1].actions[0].outputVariables", "outputVariables"},

		// Artifacts.
		{"artifact name pattern", func(d *w.PipelineDeclaration) {
			action(d, 0, 0).OutputArtifacts[0].Name = "Src!"
		}, w.ErrValidationException, "pipeline.stages[0].actions[0].outputArtifacts[0].name", "pattern"},
		{"duplicate output artifact", func(d *w.PipelineDeclaration) {
			action(d, 1, 0).OutputArtifacts = append(action(d, 1, 0).OutputArtifacts, w.OutputArtifact{Name: "Src"})
		}, w.ErrInvalidStructureException, "pipeline.stages[1].actions[0].outputArtifacts[1].name", "'Src' is an output of actions 'Checkout' and 'DockerBuild'"},
		{"input not produced", func(d *w.PipelineDeclaration) { action(d, 1, 0).InputArtifacts[0].Name = "Source" }, w.ErrInvalidStructureException,
			"pipeline.stages[1].actions[0].inputArtifacts[0].name", "Input artifact 'Source' of action 'DockerBuild'"},
		{"input produced later", func(d *w.PipelineDeclaration) {
			stage(d, 1).Actions = append(stage(d, 1).Actions, build("Late", []string{"Src"}, "Late"))
			action(d, 1, 0).InputArtifacts = append(action(d, 1, 0).InputArtifacts, w.InputArtifact{Name: "Late"})
			action(d, 1, 0).Configuration["PrimarySource"] = "Src"
		}, w.ErrInvalidStructureException, "pipeline.stages[1].actions[0].inputArtifacts[1].name", "'Late'"},
		{"input produced in parallel", func(d *w.PipelineDeclaration) {
			stage(d, 1).Actions = append(stage(d, 1).Actions, build("Twin", []string{"ImageDefs"}))
		}, w.ErrInvalidStructureException, "pipeline.stages[1].actions[1].inputArtifacts[0].name", "'ImageDefs' of action 'Twin'"},
		{"duplicate input", func(d *w.PipelineDeclaration) {
			action(d, 1, 0).InputArtifacts = append(action(d, 1, 0).InputArtifacts, w.InputArtifact{Name: "Src"})
			action(d, 1, 0).Configuration["PrimarySource"] = "Src"
		}, w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].inputArtifacts[1].name", "more than once"},

		// Namespaces and variable references.
		{"namespace pattern", func(d *w.PipelineDeclaration) { action(d, 1, 0).Namespace = "Build.Vars" }, w.ErrValidationException, "pipeline.stages[1].actions[0].namespace", "pattern"},
		{"reserved namespace", func(d *w.PipelineDeclaration) { action(d, 1, 0).Namespace = "variables" }, w.ErrInvalidActionDeclarationException,
			"pipeline.stages[1].actions[0].namespace", "reserved"},
		{"duplicate namespace", func(d *w.PipelineDeclaration) { action(d, 2, 0).Namespace = "BuildVariables" }, w.ErrInvalidStructureException,
			"pipeline.stages[2].actions[0].namespace", "'BuildVariables' is the namespace of actions 'DockerBuild' and 'ProdGate'"},
		{"namespace clashes with an artifact", func(d *w.PipelineDeclaration) { action(d, 2, 0).Namespace = "Src" }, w.ErrInvalidStructureException,
			"pipeline.stages[2].actions[0].namespace", "clash with artifact names"},
		{"unknown namespace", func(d *w.PipelineDeclaration) { action(d, 2, 0).Configuration["CustomData"] = "#{Nope.X}" }, w.ErrInvalidActionDeclarationException,
			"pipeline.stages[2].actions[0].configuration.CustomData", "VariableReferenceText=[Nope.X]"},
		{"namespace of a later action", func(d *w.PipelineDeclaration) {
			action(d, 2, 0).Namespace = "Gate"
			action(d, 1, 0).Configuration["ProjectName"] = "#{Gate.X}"
		}, w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].configuration.ProjectName", "does not run before action 'DockerBuild'"},
		{"own namespace", func(d *w.PipelineDeclaration) { action(d, 1, 0).Configuration["ProjectName"] = "#{BuildVariables.X}" },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].configuration.ProjectName", "does not run before"},
		{"namespace in parallel", func(d *w.PipelineDeclaration) {
			twin := approval("Twin")
			twin.Configuration = map[string]string{"CustomData": "#{BuildVariables.IMAGE_TAG}"}
			stage(d, 1).Actions = append(stage(d, 1).Actions, twin)
		}, w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[1].configuration.CustomData", "does not run before action 'Twin'"},
		{"undeclared variable", func(d *w.PipelineDeclaration) {
			action(d, 3, 0).Configuration["DeploymentTimeout"] = "#{variables.TIMEOUT}"
		},
			w.ErrInvalidActionDeclarationException, "pipeline.stages[3].actions[0].configuration.DeploymentTimeout", "VariableReferenceText=[variables.TIMEOUT]"},
		{"codepipeline variable", func(d *w.PipelineDeclaration) {
			action(d, 2, 0).Configuration["CustomData"] = "#{codepipeline.PipelineName}"
		},
			w.ErrInvalidActionDeclarationException, "pipeline.stages[2].actions[0].configuration.CustomData", "codepipeline.PipelineName"},
		{"malformed reference", func(d *w.PipelineDeclaration) { action(d, 2, 0).Configuration["CustomData"] = "Deploy #{IMAGE_TAG}?" },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[2].actions[0].configuration.CustomData", "namespace and a key separated by a period"},

		// Provider configuration and artifact counts.
		{"CodeCommit without BranchName", func(d *w.PipelineDeclaration) { delete(action(d, 0, 0).Configuration, "BranchName") },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[0].actions[0].configuration", "missing required configuration 'BranchName'"},
		{"CodeCommit unknown key", func(d *w.PipelineDeclaration) { action(d, 0, 0).Configuration["Branch"] = "main" },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[0].actions[0].configuration.Branch", "unknown configuration 'Branch'"},
		{"CodeCommit output format", func(d *w.PipelineDeclaration) { action(d, 0, 0).Configuration["OutputArtifactFormat"] = "TAR" },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[0].actions[0].configuration.OutputArtifactFormat", "CODEBUILD_CLONE_REF"},
		{"CodeCommit polling", func(d *w.PipelineDeclaration) { action(d, 0, 0).Configuration["PollForSourceChanges"] = "yes" },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[0].actions[0].configuration.PollForSourceChanges", "true, false"},
		{"source without output", func(d *w.PipelineDeclaration) { action(d, 0, 0).OutputArtifacts = nil },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[0].actions[0].outputArtifacts", "Action Checkout declares 0 output artifacts which is less than the minimum count (1)"},
		{"source with input", func(d *w.PipelineDeclaration) { action(d, 0, 0).InputArtifacts = []w.InputArtifact{{Name: "X"}} },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[0].actions[0].inputArtifacts", "more than the maximum count (0)"},
		{"CodeBuild without input", func(d *w.PipelineDeclaration) { action(d, 1, 0).InputArtifacts = nil },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].inputArtifacts", "Action DockerBuild declares 0 input artifacts which is less than the minimum count (1)"},
		{"CodeBuild with 6 inputs", func(d *w.PipelineDeclaration) {
			for i := 0; i < 5; i++ {
				action(d, 1, 0).InputArtifacts = append(action(d, 1, 0).InputArtifacts, w.InputArtifact{Name: fmt.Sprint("I", i)})
			}
		}, w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].inputArtifacts", "declares 6 input artifacts which is more than the maximum count (5)"},
		{"CodeBuild with 6 outputs", func(d *w.PipelineDeclaration) {
			for i := 0; i < 5; i++ {
				action(d, 1, 0).OutputArtifacts = append(action(d, 1, 0).OutputArtifacts, w.OutputArtifact{Name: fmt.Sprint("O", i)})
			}
		}, w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].outputArtifacts", "declares 6 output artifacts"},
		{"CodeBuild without ProjectName", func(d *w.PipelineDeclaration) { delete(action(d, 1, 0).Configuration, "ProjectName") },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].configuration", "missing required configuration 'ProjectName'"},
		{"CodeBuild two inputs without PrimarySource", func(d *w.PipelineDeclaration) {
			stage(d, 0).Actions = append(stage(d, 0).Actions, w.ActionDeclaration{Name: "Lib", ActionTypeId: typ("Source", "CodeCommit"),
				Configuration: map[string]string{"RepositoryName": "lib", "BranchName": "main"}, OutputArtifacts: []w.OutputArtifact{{Name: "Lib"}}})
			action(d, 1, 0).InputArtifacts = append(action(d, 1, 0).InputArtifacts, w.InputArtifact{Name: "Lib"})
		}, w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].configuration", "'PrimarySource'"},
		{"PrimarySource not an input", func(d *w.PipelineDeclaration) { action(d, 1, 0).Configuration["PrimarySource"] = "Lib" },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].configuration.PrimarySource", "not one of the action's input artifacts"},
		{"EnvironmentVariables not JSON", func(d *w.PipelineDeclaration) { action(d, 1, 0).Configuration["EnvironmentVariables"] = "COMMIT=1" },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].configuration.EnvironmentVariables", "JSON array"},
		{"EnvironmentVariables type", func(d *w.PipelineDeclaration) {
			action(d, 1, 0).Configuration["EnvironmentVariables"] = `[{"name":"A","value":"1","type":"SSM"}]`
		}, w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].configuration.EnvironmentVariables", `type "SSM"`},
		{"batch build", func(d *w.PipelineDeclaration) { action(d, 1, 0).Configuration["BatchEnabled"] = "true" },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[1].actions[0].configuration.BatchEnabled", "batch builds"},
		{"approval with input", func(d *w.PipelineDeclaration) { action(d, 2, 0).InputArtifacts = []w.InputArtifact{{Name: "Src"}} },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[2].actions[0].inputArtifacts", "Action ProdGate declares 1 input artifacts which is more than the maximum count (0)"},
		{"approval notification ARN", func(d *w.PipelineDeclaration) { action(d, 2, 0).Configuration["NotificationArn"] = "topic" },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[2].actions[0].configuration.NotificationArn", "contains a format error"},
		{"approval notification service", func(d *w.PipelineDeclaration) {
			action(d, 2, 0).Configuration["NotificationArn"] = "arn:aws:sqs:us-east-1:000000000000:q"
		}, w.ErrInvalidActionDeclarationException, "pipeline.stages[2].actions[0].configuration.NotificationArn", "cannot be used to send approval requests"},
		{"ECS without ServiceName", func(d *w.PipelineDeclaration) { delete(action(d, 3, 0).Configuration, "ServiceName") },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[3].actions[0].configuration", "missing required configuration 'ServiceName'"},
		{"ECS without input", func(d *w.PipelineDeclaration) { action(d, 3, 0).InputArtifacts = nil },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[3].actions[0].inputArtifacts", "less than the minimum count (1)"},
		{"ECS with output", func(d *w.PipelineDeclaration) { action(d, 3, 0).OutputArtifacts = []w.OutputArtifact{{Name: "Out"}} },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[3].actions[0].outputArtifacts", "more than the maximum count (0)"},
		{"ECS deployment timeout", func(d *w.PipelineDeclaration) { action(d, 3, 0).Configuration["DeploymentTimeout"] = "90" },
			w.ErrInvalidActionDeclarationException, "pipeline.stages[3].actions[0].configuration.DeploymentTimeout", "1 to 60"},

		// Stage failure handling and unsupported stage features.
		{"rollback of the source stage", func(d *w.PipelineDeclaration) { stage(d, 0).OnFailure = &w.FailureConditions{Result: "ROLLBACK"} },
			w.ErrInvalidStageDeclarationException, "pipeline.stages[0].onFailure.result", "source stage"},
		{"rollback in PARALLEL mode", func(d *w.PipelineDeclaration) { d.ExecutionMode = "PARALLEL" },
			w.ErrInvalidStageDeclarationException, "pipeline.stages[3].onFailure.result", "PARALLEL"},
		{"retryConfiguration without RETRY", func(d *w.PipelineDeclaration) {
			stage(d, 3).OnFailure.RetryConfiguration = &w.RetryConfiguration{RetryMode: "ALL_ACTIONS"}
		}, w.ErrInvalidStageDeclarationException, "pipeline.stages[3].onFailure.retryConfiguration", "only be used when the onFailure result is RETRY"},
		{"blockers", func(d *w.PipelineDeclaration) {
			stage(d, 1).Blockers = []w.BlockerDeclaration{{Name: "b", Type: "Schedule"}}
		},
			w.ErrInvalidBlockerDeclarationException, "pipeline.stages[1].blockers", "blockers"},
		{"stage conditions", func(d *w.PipelineDeclaration) { stage(d, 2).OnSuccess = &w.SuccessConditions{} },
			w.ErrInvalidStageDeclarationException, "pipeline.stages[2].onSuccess", "not supported by wharf"},

		// Triggers.
		{"trigger of an unknown action", func(d *w.PipelineDeclaration) { d.Triggers[0].GitConfiguration.SourceActionName = "Fetch" },
			w.ErrInvalidStructureException, "pipeline.triggers[0].gitConfiguration.sourceActionName", "'Fetch'"},
		{"two triggers of one action", func(d *w.PipelineDeclaration) { d.Triggers = append(d.Triggers, d.Triggers[0]) },
			w.ErrInvalidStructureException, "pipeline.triggers[1].gitConfiguration.sourceActionName", "more than one trigger"},
		{"tags and branches", func(d *w.PipelineDeclaration) {
			d.Triggers[0].GitConfiguration.Push[0].Tags = &w.GitTagFilterCriteria{Includes: []string{"v*"}}
		}, w.ErrInvalidStructureException, "pipeline.triggers[0].gitConfiguration.push[0]", "Make sure to choose valid filter combinations"},
		{"empty push filter", func(d *w.PipelineDeclaration) { d.Triggers[0].GitConfiguration.Push = []w.GitPushFilter{{}} },
			w.ErrInvalidStructureException, "pipeline.triggers[0].gitConfiguration.push[0]", "valid filter combinations"},
		{"empty branch filter", func(d *w.PipelineDeclaration) {
			d.Triggers[0].GitConfiguration.Push[0].Branches = &w.GitBranchFilterCriteria{}
		},
			w.ErrInvalidStructureException, "pipeline.triggers[0].gitConfiguration.push[0].branches", "includes or excludes"},
		{"pull request trigger", func(d *w.PipelineDeclaration) {
			d.Triggers[0].GitConfiguration.PullRequest = []w.GitPullRequestFilter{{Events: []w.GitPullRequestEventType{"OPEN"}}}
		}, w.ErrInvalidStructureException, "pipeline.triggers[0].gitConfiguration.pullRequest", "push filters only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := example(t)
			tt.mutate(d)
			_, err := FromWire(d)
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if de.Code != tt.code || de.Field != tt.field {
				t.Fatalf("got %s at %s: %v\nwant %s at %s", de.Code, de.Field, err, tt.code, tt.field)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.field) || !strings.Contains(msg, tt.text) {
				t.Fatalf("message %q does not name %q and %q", msg, tt.field, tt.text)
			}
		})
	}
}

// TestValidOddities lists declarations that look wrong but are valid.
func TestValidOddities(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(d *w.PipelineDeclaration)
	}{
		{"input from an earlier runOrder", func(d *w.PipelineDeclaration) {
			later := build("Scan", []string{"ImageDefs"})
			later.RunOrder = 2
			stage(d, 1).Actions = append(stage(d, 1).Actions, later)
		}},
		{"namespace of an earlier runOrder", func(d *w.PipelineDeclaration) {
			later := approval("Check")
			later.RunOrder, later.Configuration = 5, map[string]string{"CustomData": "#{BuildVariables.IMAGE_TAG} #{codepipeline.PipelineExecutionId}"}
			stage(d, 1).Actions = append(stage(d, 1).Actions, later)
		}},
		{"unclosed reference is text", func(d *w.PipelineDeclaration) { action(d, 2, 0).Configuration["CustomData"] = "costs #{5" }},
		{"variables in a deployment timeout", func(d *w.PipelineDeclaration) {}},
		{"two sources, PrimarySource", func(d *w.PipelineDeclaration) {
			stage(d, 0).Actions = append(stage(d, 0).Actions, w.ActionDeclaration{Name: "Lib", ActionTypeId: typ("Source", "CodeCommit"),
				Configuration: map[string]string{"RepositoryName": "lib", "BranchName": "main"}, OutputArtifacts: []w.OutputArtifact{{Name: "Lib"}}})
			action(d, 1, 0).InputArtifacts = append(action(d, 1, 0).InputArtifacts, w.InputArtifact{Name: "Lib"})
			action(d, 1, 0).Configuration["PrimarySource"] = "Src"
		}},
		{"Test category CodeBuild", func(d *w.PipelineDeclaration) {
			test := build("UnitTests", []string{"Src"})
			test.ActionTypeId.Category = "Test"
			stage(d, 1).Actions = append(stage(d, 1).Actions, test)
		}},
		{"tag trigger", func(d *w.PipelineDeclaration) {
			d.Triggers[0].GitConfiguration.Push = []w.GitPushFilter{{Tags: &w.GitTagFilterCriteria{Includes: []string{"v*"}}}}
		}},
		{"trigger without filters", func(d *w.PipelineDeclaration) { d.Triggers[0].GitConfiguration.Push = nil }},
		{"RETRY with ALL_ACTIONS", func(d *w.PipelineDeclaration) {
			stage(d, 1).OnFailure = &w.FailureConditions{Result: "RETRY", RetryConfiguration: &w.RetryConfiguration{RetryMode: "ALL_ACTIONS"}}
		}},
		{"encryption key", func(d *w.PipelineDeclaration) { d.ArtifactStore.EncryptionKey = &w.EncryptionKey{Id: "k", Type: "KMS"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := example(t)
			tt.mutate(d)
			if _, err := FromWire(d); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTriggerProvider checks the rule that triggers need a git source,
// which only a source provider wharf may add later can break.
func TestTriggerProvider(t *testing.T) {
	providers["Source/AWS/S3/1"] = providerSpec{minOut: 1, maxOut: 1, optional: []string{"S3Bucket", "S3ObjectKey"}}
	t.Cleanup(func() { delete(providers, "Source/AWS/S3/1") })
	d := example(t)
	action(d, 0, 0).ActionTypeId.Provider = "S3"
	action(d, 0, 0).Configuration = map[string]string{"S3Bucket": "b", "S3ObjectKey": "k"}
	_, err := FromWire(d)
	var de *Error
	if !errors.As(err, &de) || de.Code != w.ErrInvalidStructureException || de.Field != "pipeline.triggers[0].gitConfiguration.sourceActionName" {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckString(t *testing.T) {
	if err := CheckName("name", "web-release_1.0@x"); err != nil {
		t.Fatal(err)
	}
	err := CheckString("pipelineExecutionId", "nope", 0, 0, UUIDPattern)
	want := "1 validation error detected: Value 'nope' at 'pipelineExecutionId' failed to satisfy constraint: " +
		"Member must satisfy regular expression pattern: " + UUIDPattern
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v", err)
	}
	if err := CheckName("stageName", ""); err == nil || !strings.Contains(err.Error(), "Value null at 'stageName'") {
		t.Fatalf("empty: %v", err)
	}
}

// FuzzFromWire feeds arbitrary declarations to FromWire: it never panics,
// and what it accepts converts back and forth to the same model.
func FuzzFromWire(f *testing.F) {
	buf, err := os.ReadFile("testdata/example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(buf)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"name":"p","roleArn":"r","artifactStore":{"type":"S3","location":"abc"},"stages":[{"name":"a","actions":[]},{"name":"b"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var d w.PipelineDeclaration
		if awsjson.Decode(body, &d) != nil {
			return
		}
		p, err := FromWire(&d)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Code == "" || de.Message == "" {
				t.Fatalf("error %v is not a coded *Error", err)
			}
			return
		}
		p2, err := FromWire(ToWire(p))
		if err != nil {
			t.Fatalf("round trip of an accepted pipeline: %v", err)
		}
		a, _ := json.Marshal(p)
		b, _ := json.Marshal(p2)
		if string(a) != string(b) {
			t.Fatalf("round trip:\n%s\n%s", a, b)
		}
	})
}
