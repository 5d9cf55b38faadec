package codepipeline_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline/types"

	"github.com/wharfhq/wharf/internal/model"
)

func TestCreatePipeline(t *testing.T) {
	e := setup(t)
	created := e.clock.Now()
	out := e.create(t, declaration("web"), types.Tag{Key: aws.String("team"), Value: aws.String("web")})
	p := out.Pipeline
	if aws.ToString(p.Name) != "web" || aws.ToInt32(p.Version) != 1 || p.PipelineType != types.PipelineTypeV2 ||
		p.ExecutionMode != types.ExecutionModeSuperseded || len(p.Stages) != 4 {
		t.Fatalf("pipeline %+v", p)
	}
	src := p.Stages[0].Actions[0]
	if aws.ToInt32(src.RunOrder) != 1 || aws.ToString(src.Namespace) != "SourceVariables" || aws.ToString(src.OutputArtifacts[0].Name) != "Src" {
		t.Errorf("source action %+v", src)
	}
	if gate := p.Stages[2].Actions[0]; aws.ToInt32(gate.TimeoutInMinutes) != 1440 || gate.Configuration["CustomData"] != "Deploy #{BuildVariables.IMAGE_TAG}?" {
		t.Errorf("approval %+v", gate)
	}
	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "team" {
		t.Errorf("tags %+v", out.Tags)
	}

	// Creating a pipeline starts it, as on AWS.
	execs := e.executions("web")
	if len(execs) != 1 || execs[0].TriggerType != "CreatePipeline" || execs[0].TriggerDetail != root || execs[0].PipelineVersion != 1 {
		t.Fatalf("executions after create: %+v", execs)
	}

	got, err := e.c.GetPipeline(ctx(t), &codepipeline.GetPipelineInput{Name: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Metadata.PipelineArn) != pipelineARN("web") || !got.Metadata.Created.Equal(created) || !got.Metadata.Updated.Equal(created) {
		t.Errorf("metadata %+v", got.Metadata)
	}
	if fmt.Sprintf("%+v", got.Pipeline.Stages[1].Actions[0].Configuration) != fmt.Sprintf("%+v", p.Stages[1].Actions[0].Configuration) {
		t.Errorf("GetPipeline %+v", got.Pipeline.Stages[1].Actions[0])
	}

	_, err = e.c.CreatePipeline(ctx(t), &codepipeline.CreatePipelineInput{Pipeline: declaration("web")})
	wantErr[*types.PipelineNameInUseException](t, err, "second create", "'web'")
	if n := len(e.executions("web")); n != 1 {
		t.Errorf("%d executions after a refused create", n)
	}

	// A pipeline is created even when its first execution cannot start.
	e.starter.fail(errors.New("engine down"))
	e.create(t, declaration("quiet"))
	if _, ok := e.st.Pipeline("quiet"); !ok {
		t.Error("pipeline not stored")
	}
}

func TestCreatePipelineValidation(t *testing.T) {
	e := setup(t)
	for _, tt := range []struct {
		name   string
		mutate func(d *types.PipelineDeclaration)
		check  func(t *testing.T, err error)
	}{
		{"one stage", func(d *types.PipelineDeclaration) { d.Stages = d.Stages[:1] }, func(t *testing.T, err error) {
			wantErr[*types.InvalidStructureException](t, err, "one stage", "at least 2 stages", "pipeline.stages")
		}},
		{"source later", func(d *types.PipelineDeclaration) { d.Stages[0], d.Stages[1] = d.Stages[1], d.Stages[0] }, func(t *testing.T, err error) {
			wantErr[*types.InvalidStructureException](t, err, "source later", "Pipeline should start with a stage that only contains source actions")
		}},
		{"unknown provider", func(d *types.PipelineDeclaration) {
			d.Stages[3].Actions[0].ActionTypeId.Provider = aws.String("CodeDeploy")
		},
			func(t *testing.T, err error) {
				wantErr[*types.InvalidActionDeclarationException](t, err, "provider", "Provider: 'CodeDeploy'", "pipeline.stages[3].actions[0].actionTypeId")
			}},
		{"missing configuration", func(d *types.PipelineDeclaration) { delete(d.Stages[3].Actions[0].Configuration, "ClusterName") },
			func(t *testing.T, err error) {
				wantErr[*types.InvalidActionDeclarationException](t, err, "ECS", "missing required configuration 'ClusterName'")
			}},
		{"duplicate action", func(d *types.PipelineDeclaration) {
			d.Stages[2].Actions = append(d.Stages[2].Actions, d.Stages[2].Actions[0])
		}, func(t *testing.T, err error) {
			wantErr[*types.InvalidStageDeclarationException](t, err, "duplicate", "'ProdGate' is used more than once", "pipeline.stages[2].actions[1].name")
		}},
		{"blockers", func(d *types.PipelineDeclaration) {
			d.Stages[1].Blockers = []types.BlockerDeclaration{{Name: aws.String("b"), Type: types.BlockerTypeSchedule}}
		}, func(t *testing.T, err error) {
			wantErr[*types.InvalidBlockerDeclarationException](t, err, "blockers", "pipeline.stages[1].blockers")
		}},
		{"name pattern", func(d *types.PipelineDeclaration) { d.Name = aws.String("web release") }, func(t *testing.T, err error) {
			wantErr[*types.ValidationException](t, err, "name", "at 'pipeline.name'", "regular expression pattern")
		}},
		{"V1 variables", func(d *types.PipelineDeclaration) { d.PipelineType = "" }, func(t *testing.T, err error) {
			wantErr[*types.InvalidStructureException](t, err, "V1", "Pipeline variables can only be used with V2 pipelines")
		}},
		{"undeclared variable", func(d *types.PipelineDeclaration) { d.Variables = nil }, func(t *testing.T, err error) {
			wantErr[*types.InvalidActionDeclarationException](t, err, "variable", "VariableReferenceText=[variables.DEPLOY_TIMEOUT]")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := declaration("bad")
			tt.mutate(d)
			_, err := e.c.CreatePipeline(ctx(t), &codepipeline.CreatePipelineInput{Pipeline: d})
			tt.check(t, err)
		})
	}
	if _, ok := e.st.Pipeline("bad"); ok {
		t.Fatal("an invalid pipeline was stored")
	}

	// What the SDK refuses to send, straight on the wire.
	status, code, msg := e.raw(t, "CreatePipeline", `{"pipeline":{"name":"p","stages":[]}}`)
	if status != 400 || code != "ValidationException" || !strings.Contains(msg, "pipeline.roleArn") {
		t.Errorf("no roleArn: %d %s %s", status, code, msg)
	}
	status, code, msg = e.raw(t, "CreatePipeline", `{"pipeline":{"name":"p","roleArn":"r","stages":[{"name":"s","actions":[{"name":"a","actionTypeId":{"category":"Source","owner":"AWS","provider":"CodeCommit","version":"1"},"runOrder":"x"}]}]}}`)
	if status != 400 || code != "SerializationException" || !strings.Contains(msg, "runOrder") {
		t.Errorf("runOrder type: %d %s %s", status, code, msg)
	}

	for _, tt := range []struct {
		tags  []types.Tag
		check func(error)
	}{
		{[]types.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}, func(err error) {
			wantErr[*types.InvalidTagsException](t, err, "aws: tag", "tags[0].key")
		}},
		{[]types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}, func(err error) {
			wantErr[*types.InvalidTagsException](t, err, "duplicate tag", "tags[1].key")
		}},
		{manyTags(51), func(err error) { wantErr[*types.TooManyTagsException](t, err, "51 tags", "50") }},
	} {
		_, err := e.c.CreatePipeline(ctx(t), &codepipeline.CreatePipelineInput{Pipeline: declaration("tagged"), Tags: tt.tags})
		tt.check(err)
	}
}

func manyTags(n int) []types.Tag {
	var out []types.Tag
	for i := range n {
		out = append(out, types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")})
	}
	return out
}

func TestUpdatePipeline(t *testing.T) {
	e := setup(t)
	e.create(t, declaration("web"), types.Tag{Key: aws.String("team"), Value: aws.String("web")})
	first := e.executions("web")[0]
	_, err := e.c.DisableStageTransition(ctx(t), &codepipeline.DisableStageTransitionInput{PipelineName: aws.String("web"),
		StageName: aws.String("Deploy"), TransitionType: types.StageTransitionTypeInbound, Reason: aws.String("Freeze")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.DisableStageTransition(ctx(t), &codepipeline.DisableStageTransitionInput{PipelineName: aws.String("web"),
		StageName: aws.String("Approve"), TransitionType: types.StageTransitionTypeInbound, Reason: aws.String("Freeze")})
	if err != nil {
		t.Fatal(err)
	}

	e.clock.Advance(time.Hour)
	d := declaration("web")
	d.Stages = append(d.Stages[:2], d.Stages[3]) // no more approval
	d.ExecutionMode = types.ExecutionModeQueued
	d.Version = aws.Int32(1)
	out, err := e.c.UpdatePipeline(ctx(t), &codepipeline.UpdatePipelineInput{Pipeline: d})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.Pipeline.Version) != 2 || len(out.Pipeline.Stages) != 3 || out.Pipeline.ExecutionMode != types.ExecutionModeQueued {
		t.Fatalf("updated %+v", out.Pipeline)
	}
	p, _ := e.st.Pipeline("web")
	if len(p.Tags) != 1 || p.ARN != pipelineARN("web") || len(p.Transitions) != 1 || p.Transitions["Deploy"].Enabled {
		t.Errorf("kept: tags %+v arn %s transitions %+v", p.Tags, p.ARN, p.Transitions)
	}

	got, err := e.c.GetPipeline(ctx(t), &codepipeline.GetPipelineInput{Name: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(got.Pipeline.Version) != 2 || !got.Metadata.Updated.Equal(e.clock.Now()) || got.Metadata.Created.Equal(e.clock.Now()) {
		t.Errorf("current: version %d metadata %+v", aws.ToInt32(got.Pipeline.Version), got.Metadata)
	}
	v1, err := e.c.GetPipeline(ctx(t), &codepipeline.GetPipelineInput{Name: aws.String("web"), Version: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(v1.Pipeline.Version) != 1 || len(v1.Pipeline.Stages) != 4 {
		t.Errorf("version 1: %+v", v1.Pipeline)
	}
	_, err = e.c.GetPipeline(ctx(t), &codepipeline.GetPipelineInput{Name: aws.String("web"), Version: aws.Int32(3)})
	wantErr[*types.PipelineVersionNotFoundException](t, err, "version 3", "version 3")

	// The execution keeps the version it started with.
	ge, err := e.c.GetPipelineExecution(ctx(t), &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String("web"),
		PipelineExecutionId: aws.String(first.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(ge.PipelineExecution.PipelineVersion) != 1 {
		t.Errorf("execution version %d", aws.ToInt32(ge.PipelineExecution.PipelineVersion))
	}

	bad := declaration("web")
	bad.Stages = bad.Stages[:1]
	_, err = e.c.UpdatePipeline(ctx(t), &codepipeline.UpdatePipelineInput{Pipeline: bad})
	wantErr[*types.InvalidStructureException](t, err, "invalid update", "pipeline.stages")
	if p, _ := e.st.Pipeline("web"); p.Version != 2 {
		t.Errorf("version after a refused update: %d", p.Version)
	}
	_, err = e.c.UpdatePipeline(ctx(t), &codepipeline.UpdatePipelineInput{Pipeline: declaration("nope")})
	// UpdatePipeline does not declare PipelineNotFoundException: SDKs see
	// its code on a generic API error.
	wantCode(t, err, "PipelineNotFoundException", "update of a missing pipeline")
}

func TestListAndDeletePipelines(t *testing.T) {
	e := setup(t)
	for _, name := range []string{"b", "a", "c"} {
		d := declaration(name)
		if name == "c" {
			d.ExecutionMode = types.ExecutionModeParallel
			d.PipelineType = types.PipelineTypeV2
		}
		e.create(t, d)
	}
	out, err := e.c.ListPipelines(ctx(t), &codepipeline.ListPipelinesInput{MaxResults: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Pipelines) != 2 || aws.ToString(out.Pipelines[0].Name) != "a" || aws.ToString(out.Pipelines[1].Name) != "b" || out.NextToken == nil {
		t.Fatalf("page 1: %+v", out)
	}
	if s := out.Pipelines[0]; aws.ToInt32(s.Version) != 1 || s.PipelineType != types.PipelineTypeV2 ||
		s.ExecutionMode != types.ExecutionModeSuperseded || s.Created == nil || s.Updated == nil {
		t.Errorf("summary %+v", s)
	}
	out, err = e.c.ListPipelines(ctx(t), &codepipeline.ListPipelinesInput{MaxResults: aws.Int32(2), NextToken: out.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Pipelines) != 1 || aws.ToString(out.Pipelines[0].Name) != "c" || out.NextToken != nil ||
		out.Pipelines[0].ExecutionMode != types.ExecutionModeParallel {
		t.Fatalf("page 2: %+v", out)
	}
	_, err = e.c.ListPipelines(ctx(t), &codepipeline.ListPipelinesInput{NextToken: aws.String("%%%")})
	wantErr[*types.InvalidNextTokenException](t, err, "bad token")

	// The SDK paginator walks every page.
	var names []string
	pg := codepipeline.NewListPipelinesPaginator(e.c, &codepipeline.ListPipelinesInput{MaxResults: aws.Int32(1)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Pipelines {
			names = append(names, aws.ToString(p.Name))
		}
	}
	if fmt.Sprint(names) != "[a b c]" {
		t.Errorf("paginated %v", names)
	}

	if _, err := e.c.DeletePipeline(ctx(t), &codepipeline.DeletePipelineInput{Name: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.DeletePipeline(ctx(t), &codepipeline.DeletePipelineInput{Name: aws.String("b")}); err != nil {
		t.Fatalf("deleting a deleted pipeline: %v", err)
	}
	_, err = e.c.GetPipeline(ctx(t), &codepipeline.GetPipelineInput{Name: aws.String("b")})
	wantErr[*types.PipelineNotFoundException](t, err, "deleted", "Account '000000000000' does not have a pipeline with name 'b'")
	if n := len(e.executions("b")); n != 0 {
		t.Errorf("%d executions of a deleted pipeline", n)
	}
	out, _ = e.c.ListPipelines(ctx(t), &codepipeline.ListPipelinesInput{})
	if len(out.Pipelines) != 2 {
		t.Errorf("after delete: %+v", out.Pipelines)
	}
}

func TestTags(t *testing.T) {
	e := setup(t)
	e.create(t, declaration("web"), types.Tag{Key: aws.String("team"), Value: aws.String("web")})
	arn := aws.String(pipelineARN("web"))
	_, err := e.c.TagResource(ctx(t), &codepipeline.TagResourceInput{ResourceArn: arn,
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("api")}}})
	if err != nil {
		t.Fatal(err)
	}
	tags := func() string {
		out, err := e.c.ListTagsForResource(ctx(t), &codepipeline.ListTagsForResourceInput{ResourceArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, tag := range out.Tags {
			s = append(s, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
		}
		return strings.Join(s, ",")
	}
	if got := tags(); got != "team=api,env=prod" {
		t.Errorf("tags %s", got)
	}
	if _, err := e.c.UntagResource(ctx(t), &codepipeline.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team", "nope"}}); err != nil {
		t.Fatal(err)
	}
	if got := tags(); got != "env=prod" {
		t.Errorf("after untag %s", got)
	}
	if p, _ := e.st.Pipeline("web"); p.Version != 1 {
		t.Errorf("tagging changed the version: %d", p.Version)
	}

	_, err = e.c.TagResource(ctx(t), &codepipeline.TagResourceInput{ResourceArn: aws.String("web"), Tags: []types.Tag{}})
	wantErr[*types.InvalidArnException](t, err, "name for ARN")
	_, err = e.c.ListTagsForResource(ctx(t), &codepipeline.ListTagsForResourceInput{ResourceArn: aws.String(pipelineARN("nope"))})
	wantErr[*types.ResourceNotFoundException](t, err, "unknown pipeline", pipelineARN("nope"))
	_, err = e.c.TagResource(ctx(t), &codepipeline.TagResourceInput{ResourceArn: arn, Tags: manyTags(50)})
	wantErr[*types.TooManyTagsException](t, err, "51st tag")
}

// TestStoredModel checks what CreatePipeline stores for the engine.
func TestStoredModel(t *testing.T) {
	e := setup(t)
	d := declaration("web")
	d.Stages[2].Actions[0].TimeoutInMinutes = nil
	e.create(t, d)
	p, ok := e.st.Pipeline("web")
	if !ok {
		t.Fatal("not stored")
	}
	gate := p.Stages[2].Actions[0]
	if gate.TimeoutInMinutes != 10080 || gate.Category != "Approval" || gate.Provider != "Manual" || gate.RunOrder != 1 {
		t.Errorf("gate %+v", gate)
	}
	if p.ExecutionMode != model.ModeSuperseded || p.ArtifactStore.Location != "artifacts" || p.RoleARN != role {
		t.Errorf("pipeline %+v", p)
	}
}
