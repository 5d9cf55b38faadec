package codepipeline_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/google/uuid"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
)

func TestStartPipelineExecution(t *testing.T) {
	e := setup(t)
	e.create(t, declaration("web"))
	out, err := e.c.StartPipelineExecution(ctx(t), &codepipeline.StartPipelineExecutionInput{
		Name: aws.String("web"), ClientRequestToken: aws.String("deploy-42"),
		Variables:       []types.PipelineVariable{{Name: aws.String("DEPLOY_TIMEOUT"), Value: aws.String("45")}},
		SourceRevisions: []types.SourceRevisionOverride{{ActionName: aws.String("Checkout"), RevisionType: types.SourceRevisionTypeCommitId, RevisionValue: aws.String("abc123")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	o := e.starter.last()
	if o.TriggerType != "StartPipelineExecution" || o.TriggerDetail != root || o.ClientRequestToken != "deploy-42" ||
		fmt.Sprint(o.Variables) != "map[DEPLOY_TIMEOUT:45]" || fmt.Sprint(o.SourceRevisions) != "map[Checkout:abc123]" {
		t.Fatalf("start options %+v", o)
	}
	got, err := e.c.GetPipelineExecution(ctx(t), &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String("web"), PipelineExecutionId: out.PipelineExecutionId})
	if err != nil {
		t.Fatal(err)
	}
	x := got.PipelineExecution
	if x.Status != types.PipelineExecutionStatusInProgress || aws.ToInt32(x.PipelineVersion) != 1 || aws.ToString(x.PipelineName) != "web" ||
		x.ExecutionMode != types.ExecutionModeSuperseded || x.ExecutionType != types.ExecutionTypeStandard ||
		x.Trigger.TriggerType != types.TriggerTypeStartPipelineExecution || aws.ToString(x.Trigger.TriggerDetail) != root {
		t.Fatalf("execution %+v", x)
	}
	if len(x.Variables) != 1 || aws.ToString(x.Variables[0].Name) != "DEPLOY_TIMEOUT" || aws.ToString(x.Variables[0].ResolvedValue) != "45" {
		t.Errorf("variables %+v", x.Variables)
	}
	// The pinned revision is known before the source action runs.
	if len(x.ArtifactRevisions) != 1 || aws.ToString(x.ArtifactRevisions[0].Name) != "Src" || aws.ToString(x.ArtifactRevisions[0].RevisionId) != "abc123" {
		t.Errorf("artifact revisions %+v", x.ArtifactRevisions)
	}

	for _, tt := range []struct {
		name  string
		in    *codepipeline.StartPipelineExecutionInput
		check func(err error)
	}{
		{"unknown variable", &codepipeline.StartPipelineExecutionInput{Name: aws.String("web"),
			Variables: []types.PipelineVariable{{Name: aws.String("TIMEOUT"), Value: aws.String("1")}}},
			func(err error) {
				wantErr[*types.ValidationException](t, err, "unknown variable", "variables[0].name", "TIMEOUT")
			}},
		{"variable twice", &codepipeline.StartPipelineExecutionInput{Name: aws.String("web"), Variables: []types.PipelineVariable{
			{Name: aws.String("DEPLOY_TIMEOUT"), Value: aws.String("1")}, {Name: aws.String("DEPLOY_TIMEOUT"), Value: aws.String("2")}}},
			func(err error) { wantErr[*types.ValidationException](t, err, "twice", "variables[1].name") }},
		{"revision of a build action", &codepipeline.StartPipelineExecutionInput{Name: aws.String("web"), SourceRevisions: []types.SourceRevisionOverride{
			{ActionName: aws.String("DockerBuild"), RevisionType: types.SourceRevisionTypeCommitId, RevisionValue: aws.String("abc")}}},
			func(err error) {
				wantErr[*types.ValidationException](t, err, "build action", "sourceRevisions[0].actionName", "DockerBuild")
			}},
		{"image digest for CodeCommit", &codepipeline.StartPipelineExecutionInput{Name: aws.String("web"), SourceRevisions: []types.SourceRevisionOverride{
			{ActionName: aws.String("Checkout"), RevisionType: types.SourceRevisionTypeImageDigest, RevisionValue: aws.String("sha256:1")}}},
			func(err error) {
				wantErr[*types.ValidationException](t, err, "digest", "sourceRevisions[0].revisionType", "COMMIT_ID")
			}},
		{"bad client token", &codepipeline.StartPipelineExecutionInput{Name: aws.String("web"), ClientRequestToken: aws.String("a_b")},
			func(err error) { wantErr[*types.ValidationException](t, err, "token", "clientRequestToken") }},
		{"unknown pipeline", &codepipeline.StartPipelineExecutionInput{Name: aws.String("nope")},
			func(err error) { wantErr[*types.PipelineNotFoundException](t, err, "pipeline", "'nope'") }},
	} {
		_, err := e.c.StartPipelineExecution(ctx(t), tt.in)
		tt.check(err)
	}

	// Engine errors map to the exceptions a client expects.
	e.starter.fail(fmt.Errorf("web: %w", pipeline.ErrPipelineNotFound))
	_, err = e.c.StartPipelineExecution(ctx(t), &codepipeline.StartPipelineExecutionInput{Name: aws.String("web")})
	wantErr[*types.PipelineNotFoundException](t, err, "engine: not found")
	e.starter.fail(fmt.Errorf("X: %w", pipeline.ErrUnknownVariable))
	_, err = e.c.StartPipelineExecution(ctx(t), &codepipeline.StartPipelineExecutionInput{Name: aws.String("web")})
	wantErr[*types.ValidationException](t, err, "engine: unknown variable", "X")
}

// sourceRun is a finished run of the Checkout action.
func sourceRun(at time.Time, commit string) model.ActionExecution {
	return model.ActionExecution{Name: "Checkout", ID: uuid.NewString(), Status: model.ActionSucceeded, Start: at, LastChange: at.Add(time.Second),
		Revision: commit, RevisionSummary: "commit " + commit, Summary: "commit " + commit, ExternalID: commit,
		OutputArtifacts: []model.ArtifactRef{{Name: "Src", Key: "artifacts/web/x/Src.zip"}}, OutputVariables: map[string]string{"CommitId": commit}}
}

func TestGetAndListPipelineExecutions(t *testing.T) {
	e := setup(t)
	e.create(t, declaration("web"))
	var ids []string // newest first
	for range 4 {
		ids = append([]string{e.start(t, "web").ID}, ids...)
	}
	ids = append(ids, e.executions("web")[4].ID) // the one CreatePipeline started

	// ids[1] fetched a commit and succeeded in Build; ids[2] did too, then
	// was asked to stop.
	for _, id := range ids[1:3] {
		e.edit(t, "web", id, func(ex *model.PipelineExecution) {
			ex.Stages[0].Status, ex.Stages[0].Actions = model.StageSucceeded, []model.ActionExecution{sourceRun(ex.StartTime, "c-"+id[:4])}
			ex.Stages[1].Status = model.StageSucceeded
			ex.Stage, ex.Waiting = 2, true
		})
	}
	e.edit(t, "web", ids[2], func(ex *model.PipelineExecution) { ex.StopRequested, ex.StopReason = true, "hotfix first" })

	got, err := e.c.GetPipelineExecution(ctx(t), &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String("web"), PipelineExecutionId: aws.String(ids[1])})
	if err != nil {
		t.Fatal(err)
	}
	ar := got.PipelineExecution.ArtifactRevisions
	if len(ar) != 1 || aws.ToString(ar[0].RevisionId) != "c-"+ids[1][:4] || aws.ToString(ar[0].RevisionSummary) != "commit c-"+ids[1][:4] ||
		aws.ToString(ar[0].Name) != "Src" || ar[0].Created == nil {
		t.Errorf("artifact revisions %+v", ar)
	}
	got, _ = e.c.GetPipelineExecution(ctx(t), &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String("web"), PipelineExecutionId: aws.String(ids[2])})
	if got.PipelineExecution.Status != types.PipelineExecutionStatusStopping {
		t.Errorf("stop requested: status %s", got.PipelineExecution.Status)
	}

	_, err = e.c.GetPipelineExecution(ctx(t), &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String("web"), PipelineExecutionId: aws.String(uuid.NewString())})
	wantErr[*types.PipelineExecutionNotFoundException](t, err, "unknown id")
	_, err = e.c.GetPipelineExecution(ctx(t), &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String("web"), PipelineExecutionId: aws.String("42")})
	wantErr[*types.ValidationException](t, err, "malformed id", "pipelineExecutionId")
	_, err = e.c.GetPipelineExecution(ctx(t), &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String("nope"), PipelineExecutionId: aws.String(ids[0])})
	wantErr[*types.PipelineNotFoundException](t, err, "unknown pipeline")

	// Newest first, two by two.
	var listed []string
	var token *string
	for {
		out, err := e.c.ListPipelineExecutions(ctx(t), &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String("web"), MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.PipelineExecutionSummaries) > 2 {
			t.Fatalf("page of %d", len(out.PipelineExecutionSummaries))
		}
		for _, s := range out.PipelineExecutionSummaries {
			listed = append(listed, aws.ToString(s.PipelineExecutionId))
			switch id := aws.ToString(s.PipelineExecutionId); id {
			case ids[1]:
				if len(s.SourceRevisions) != 1 || aws.ToString(s.SourceRevisions[0].ActionName) != "Checkout" ||
					aws.ToString(s.SourceRevisions[0].RevisionId) != "c-"+id[:4] || s.StopTrigger != nil {
					t.Errorf("summary %+v", s)
				}
			case ids[2]:
				if s.StopTrigger == nil || aws.ToString(s.StopTrigger.Reason) != "hotfix first" || s.Status != types.PipelineExecutionStatusStopping {
					t.Errorf("stopping summary %+v", s)
				}
			case ids[4]:
				if s.Trigger.TriggerType != types.TriggerTypeCreatePipeline || s.StartTime == nil || s.LastUpdateTime == nil ||
					s.ExecutionMode != types.ExecutionModeSuperseded || s.ExecutionType != types.ExecutionTypeStandard {
					t.Errorf("first summary %+v", s)
				}
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if strings.Join(listed, ",") != strings.Join(ids, ",") {
		t.Errorf("listed %v\nwant   %v", listed, ids)
	}

	out, err := e.c.ListPipelineExecutions(ctx(t), &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String("web"),
		Filter: &types.PipelineExecutionFilter{SucceededInStage: &types.SucceededInStageFilter{StageName: aws.String("Build")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PipelineExecutionSummaries) != 2 || aws.ToString(out.PipelineExecutionSummaries[0].PipelineExecutionId) != ids[1] {
		t.Errorf("succeeded in Build: %+v", out.PipelineExecutionSummaries)
	}
	_, err = e.c.ListPipelineExecutions(ctx(t), &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String("nope")})
	wantErr[*types.PipelineNotFoundException](t, err, "unknown pipeline")
	_, err = e.c.ListPipelineExecutions(ctx(t), &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String("web"), NextToken: aws.String("!")})
	wantErr[*types.InvalidNextTokenException](t, err, "bad token")
}

func TestStopPipelineExecution(t *testing.T) {
	e := setup(t)
	e.create(t, declaration("web"))
	id := e.executions("web")[0].ID
	stop := func(abandon bool) error {
		_, err := e.c.StopPipelineExecution(ctx(t), &codepipeline.StopPipelineExecutionInput{PipelineName: aws.String("web"),
			PipelineExecutionId: aws.String(id), Abandon: abandon, Reason: aws.String("bad commit")})
		return err
	}
	if err := stop(false); err != nil {
		t.Fatal(err)
	}
	ex, _ := e.st.PipelineExecution("web", id)
	if !ex.StopRequested || ex.Abandon || ex.StopReason != "bad commit" || ex.Status != model.ExecInProgress {
		t.Fatalf("stored %+v", ex)
	}
	wantErr[*types.DuplicatedStopRequestException](t, stop(false), "second stop and wait")
	if err := stop(true); err != nil {
		t.Fatalf("abandon after stop and wait: %v", err)
	}
	if ex, _ = e.st.PipelineExecution("web", id); !ex.Abandon {
		t.Fatal("abandon not stored")
	}
	wantErr[*types.DuplicatedStopRequestException](t, stop(true), "second abandon")

	e.edit(t, "web", id, func(ex *model.PipelineExecution) { ex.Status = model.ExecStopped })
	wantErr[*types.PipelineExecutionNotStoppableException](t, stop(false), "stopped", "Stopped")

	id = uuid.NewString()
	wantErr[*types.PipelineExecutionNotStoppableException](t, stop(false), "unknown", "does not exist")
}

// stateFixture builds executions of the tutorial pipeline as the engine
// would leave them: a is in Approve with an approval waiting for its
// answer, b failed in Build, c waits at Build's disabled door.
func stateFixture(t *testing.T, e *env) (a, b, c *model.PipelineExecution) {
	t.Helper()
	e.create(t, declaration("web"))
	a = e.executions("web")[0]
	b, c = e.start(t, "web"), e.start(t, "web")
	t0 := e.clock.Now()
	a = e.edit(t, "web", a.ID, func(ex *model.PipelineExecution) {
		ex.Stages[0].Status, ex.Stages[0].Actions = model.StageSucceeded, []model.ActionExecution{sourceRun(t0, "aaa")}
		ex.Stages[1].Status = model.StageSucceeded
		ex.Stages[1].Actions = []model.ActionExecution{{Name: "DockerBuild", ID: uuid.NewString(), Status: model.ActionSucceeded,
			Start: t0.Add(time.Minute), LastChange: t0.Add(3 * time.Minute), Summary: "Build succeeded", ExternalID: "web-image:1",
			ExternalURL: "http://wharf.local/builds/web-image:1", ResolvedConfig: map[string]string{"ProjectName": "web-image",
				"EnvironmentVariables": `[{"name":"COMMIT","value":"aaa","type":"PLAINTEXT"}]`},
			InputArtifacts:  []model.ArtifactRef{{Name: "Src", Key: "artifacts/web/a/Src.zip"}},
			OutputArtifacts: []model.ArtifactRef{{Name: "ImageDefs", Key: "artifacts/web/a/ImageDefs.zip"}},
			OutputVariables: map[string]string{"IMAGE_TAG": "aaa"}}}
		ex.Stages[2].Status = model.StageInProgress
		ex.Stages[2].Actions = []model.ActionExecution{{Name: "ProdGate", ID: uuid.NewString(), Status: model.ActionInProgress,
			Start: t0.Add(4 * time.Minute), LastChange: t0.Add(4 * time.Minute), Token: "11111111-2222-4333-8444-555555555555",
			Summary: "Waiting for approval: Deploy aaa?", ResolvedConfig: map[string]string{"CustomData": "Deploy aaa?"}}}
		ex.Stage, ex.Waiting = 2, false
	})
	b = e.edit(t, "web", b.ID, func(ex *model.PipelineExecution) {
		ex.Stages[0].Status, ex.Stages[0].Actions = model.StageSucceeded, []model.ActionExecution{sourceRun(t0.Add(5*time.Minute), "bbb")}
		ex.Stages[1].Status, ex.Stages[1].Attempt = model.StageFailed, 1
		ex.Stages[1].Actions = []model.ActionExecution{{Name: "DockerBuild", ID: uuid.NewString(), Status: model.ActionFailed,
			Start: t0.Add(6 * time.Minute), LastChange: t0.Add(7 * time.Minute), ErrorCode: "JobFailed", ErrorMessage: "Build failed: exit status 2"}}
		ex.Stage, ex.Waiting, ex.Status, ex.StatusSummary = 1, false, model.ExecFailed, "Build failed: exit status 2"
	})
	c = e.edit(t, "web", c.ID, func(ex *model.PipelineExecution) {
		ex.Stages[0].Status, ex.Stages[0].Actions = model.StageSucceeded, []model.ActionExecution{sourceRun(t0.Add(8*time.Minute), "ccc")}
		ex.Stage, ex.Waiting = 1, true
	})
	_, err := e.c.DisableStageTransition(ctx(t), &codepipeline.DisableStageTransitionInput{PipelineName: aws.String("web"),
		StageName: aws.String("Build"), TransitionType: types.StageTransitionTypeInbound, Reason: aws.String("Fixing the build (ticket 7)")})
	if err != nil {
		t.Fatal(err)
	}
	return a, b, c
}

func TestGetPipelineState(t *testing.T) {
	e := setup(t)
	a, b, c := stateFixture(t, e)
	out, err := e.c.GetPipelineState(ctx(t), &codepipeline.GetPipelineStateInput{Name: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.PipelineName) != "web" || aws.ToInt32(out.PipelineVersion) != 1 || out.Created == nil || len(out.StageStates) != 4 {
		t.Fatalf("state %+v", out)
	}
	src, build, approve, deploy := out.StageStates[0], out.StageStates[1], out.StageStates[2], out.StageStates[3]

	if src.InboundTransitionState != nil || src.InboundExecution != nil {
		t.Errorf("source door %+v %+v", src.InboundTransitionState, src.InboundExecution)
	}
	if aws.ToString(src.LatestExecution.PipelineExecutionId) != c.ID || src.LatestExecution.Status != types.StageExecutionStatusSucceeded {
		t.Errorf("source latest %+v", src.LatestExecution)
	}
	checkout := src.ActionStates[0]
	if aws.ToString(checkout.ActionName) != "Checkout" || aws.ToString(checkout.CurrentRevision.RevisionId) != "ccc" ||
		checkout.LatestExecution.Status != types.ActionExecutionStatusSucceeded || aws.ToString(checkout.LatestExecution.Summary) != "commit ccc" {
		t.Errorf("checkout %+v %+v", checkout.CurrentRevision, checkout.LatestExecution)
	}

	tr := build.InboundTransitionState
	if tr == nil || tr.Enabled || aws.ToString(tr.DisabledReason) != "Fixing the build (ticket 7)" || aws.ToString(tr.LastChangedBy) != root ||
		!tr.LastChangedAt.Equal(e.clock.Now()) {
		t.Errorf("build door %+v", tr)
	}
	if build.InboundExecution == nil || aws.ToString(build.InboundExecution.PipelineExecutionId) != c.ID || build.InboundExecutions != nil {
		t.Errorf("build inbound %+v %+v", build.InboundExecution, build.InboundExecutions)
	}
	if aws.ToString(build.LatestExecution.PipelineExecutionId) != b.ID || build.LatestExecution.Status != types.StageExecutionStatusFailed ||
		build.LatestExecution.Type != types.ExecutionTypeStandard {
		t.Errorf("build latest %+v", build.LatestExecution)
	}
	if m := build.RetryStageMetadata; m == nil || aws.ToInt32(m.ManualStageRetryAttempt) != 1 || m.LatestRetryTrigger != types.RetryTriggerManualStageRetry {
		t.Errorf("retry metadata %+v", m)
	}
	le := build.ActionStates[0].LatestExecution
	if le.Status != types.ActionExecutionStatusFailed || le.ErrorDetails == nil || aws.ToString(le.ErrorDetails.Code) != "JobFailed" ||
		aws.ToString(le.ErrorDetails.Message) != "Build failed: exit status 2" || build.ActionStates[0].CurrentRevision != nil {
		t.Errorf("build action %+v", le)
	}

	if tr := approve.InboundTransitionState; tr == nil || !tr.Enabled {
		t.Errorf("approve door %+v", tr)
	}
	if aws.ToString(approve.LatestExecution.PipelineExecutionId) != a.ID || approve.LatestExecution.Status != types.StageExecutionStatusInProgress {
		t.Errorf("approve latest %+v", approve.LatestExecution)
	}
	gate := approve.ActionStates[0].LatestExecution
	if aws.ToString(gate.Token) != "11111111-2222-4333-8444-555555555555" || gate.Status != types.ActionExecutionStatusInProgress ||
		aws.ToString(gate.ActionExecutionId) != a.Stages[2].Actions[0].ID || gate.LastStatusChange == nil {
		t.Errorf("approval %+v", gate)
	}

	if deploy.LatestExecution != nil || deploy.ActionStates[0].LatestExecution != nil || aws.ToString(deploy.ActionStates[0].ActionName) != "RollingUpdate" {
		t.Errorf("deploy %+v", deploy)
	}

	_, err = e.c.GetPipelineState(ctx(t), &codepipeline.GetPipelineStateInput{Name: aws.String("nope")})
	wantErr[*types.PipelineNotFoundException](t, err, "unknown pipeline")
}

// TestInboundExecutions checks who waits at a door by execution mode.
func TestInboundExecutions(t *testing.T) {
	e := setup(t)
	for _, mode := range []types.ExecutionMode{types.ExecutionModeSuperseded, types.ExecutionModeQueued} {
		name := strings.ToLower(string(mode))
		d := declaration(name)
		d.ExecutionMode = mode
		e.create(t, d)
		older := e.executions(name)[0]
		newer := e.start(t, name)
		out, err := e.c.GetPipelineState(ctx(t), &codepipeline.GetPipelineStateInput{Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		src := out.StageStates[0]
		var list []string
		for _, x := range src.InboundExecutions {
			list = append(list, aws.ToString(x.PipelineExecutionId))
		}
		switch mode {
		case types.ExecutionModeSuperseded:
			if aws.ToString(src.InboundExecution.PipelineExecutionId) != newer.ID || list != nil {
				t.Errorf("SUPERSEDED: next %s, list %v", aws.ToString(src.InboundExecution.PipelineExecutionId), list)
			}
		case types.ExecutionModeQueued:
			if aws.ToString(src.InboundExecution.PipelineExecutionId) != older.ID || fmt.Sprint(list) != fmt.Sprint([]string{older.ID, newer.ID}) {
				t.Errorf("QUEUED: next %s, list %v", aws.ToString(src.InboundExecution.PipelineExecutionId), list)
			}
		}
	}
}

func TestListActionExecutions(t *testing.T) {
	e := setup(t)
	a, b, _ := stateFixture(t, e)
	out, err := e.c.ListActionExecutions(ctx(t), &codepipeline.ListActionExecutionsInput{PipelineName: aws.String("web"),
		Filter: &types.ActionExecutionFilter{PipelineExecutionId: aws.String(a.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range out.ActionExecutionDetails {
		names = append(names, aws.ToString(d.ActionName))
	}
	if fmt.Sprint(names) != "[ProdGate DockerBuild Checkout]" {
		t.Fatalf("actions of a: %v", names)
	}
	d := out.ActionExecutionDetails[1]
	if aws.ToString(d.PipelineExecutionId) != a.ID || aws.ToString(d.StageName) != "Build" || aws.ToInt32(d.PipelineVersion) != 1 ||
		d.Status != types.ActionExecutionStatusSucceeded || aws.ToString(d.ActionExecutionId) != a.Stages[1].Actions[0].ID ||
		d.StartTime == nil || d.LastUpdateTime == nil {
		t.Errorf("detail %+v", d)
	}
	in := d.Input
	if in.ActionTypeId.Category != types.ActionCategoryBuild || aws.ToString(in.ActionTypeId.Provider) != "CodeBuild" ||
		aws.ToString(in.Namespace) != "BuildVariables" ||
		!strings.Contains(in.Configuration["EnvironmentVariables"], "#{SourceVariables.CommitId}") ||
		!strings.Contains(in.ResolvedConfiguration["EnvironmentVariables"], `"value":"aaa"`) {
		t.Errorf("input %+v", in)
	}
	if len(in.InputArtifacts) != 1 || aws.ToString(in.InputArtifacts[0].Name) != "Src" ||
		aws.ToString(in.InputArtifacts[0].S3location.Bucket) != "artifacts" || aws.ToString(in.InputArtifacts[0].S3location.Key) != "artifacts/web/a/Src.zip" {
		t.Errorf("input artifacts %+v", in.InputArtifacts)
	}
	o := d.Output
	if o.OutputVariables["IMAGE_TAG"] != "aaa" || aws.ToString(o.OutputArtifacts[0].Name) != "ImageDefs" ||
		aws.ToString(o.ExecutionResult.ExternalExecutionId) != "web-image:1" || aws.ToString(o.ExecutionResult.ExternalExecutionSummary) != "Build succeeded" ||
		aws.ToString(o.ExecutionResult.ExternalExecutionUrl) != "http://wharf.local/builds/web-image:1" {
		t.Errorf("output %+v %+v", o, o.ExecutionResult)
	}

	out, err = e.c.ListActionExecutions(ctx(t), &codepipeline.ListActionExecutionsInput{PipelineName: aws.String("web"),
		Filter: &types.ActionExecutionFilter{PipelineExecutionId: aws.String(b.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	if f := out.ActionExecutionDetails[0]; f.Status != types.ActionExecutionStatusFailed || f.Output.ExecutionResult.ErrorDetails == nil ||
		aws.ToString(f.Output.ExecutionResult.ErrorDetails.Code) != "JobFailed" {
		t.Errorf("failed run %+v", f.Output.ExecutionResult)
	}

	// Every run of the pipeline, latest first, through the paginator.
	var starts []time.Time
	pg := codepipeline.NewListActionExecutionsPaginator(e.c, &codepipeline.ListActionExecutionsInput{PipelineName: aws.String("web"), MaxResults: aws.Int32(2)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.ActionExecutionDetails {
			starts = append(starts, aws.ToTime(d.StartTime))
		}
	}
	if len(starts) != 6 {
		t.Fatalf("%d runs", len(starts))
	}
	for i := 1; i < len(starts); i++ {
		if starts[i].After(starts[i-1]) {
			t.Errorf("run %d started after run %d", i, i-1)
		}
	}

	_, err = e.c.ListActionExecutions(ctx(t), &codepipeline.ListActionExecutionsInput{PipelineName: aws.String("web"),
		Filter: &types.ActionExecutionFilter{PipelineExecutionId: aws.String(uuid.NewString())}})
	wantErr[*types.PipelineExecutionNotFoundException](t, err, "unknown execution")
	_, err = e.c.ListActionExecutions(ctx(t), &codepipeline.ListActionExecutionsInput{PipelineName: aws.String("nope")})
	wantErr[*types.PipelineNotFoundException](t, err, "unknown pipeline")
}

func TestPutApprovalResult(t *testing.T) {
	e := setup(t)
	a, _, _ := stateFixture(t, e)
	token := "11111111-2222-4333-8444-555555555555"
	put := func(stage, action, token string, status types.ApprovalStatus) (*codepipeline.PutApprovalResultOutput, error) {
		return e.c.PutApprovalResult(ctx(t), &codepipeline.PutApprovalResultInput{PipelineName: aws.String("web"), StageName: aws.String(stage),
			ActionName: aws.String(action), Token: aws.String(token), Result: &types.ApprovalResult{Status: status, Summary: aws.String("looks good")}})
	}
	_, err := put("Approve", "ProdGate", uuid.NewString(), types.ApprovalStatusApproved)
	wantErr[*types.InvalidApprovalTokenException](t, err, "other token")
	_, err = put("Approve", "ProdGate", "not-a-token", types.ApprovalStatusApproved)
	wantErr[*types.ValidationException](t, err, "malformed token", "token")
	_, err = put("Gate", "ProdGate", token, types.ApprovalStatusApproved)
	wantErr[*types.StageNotFoundException](t, err, "unknown stage", "'Gate'")
	_, err = put("Approve", "Gate", token, types.ApprovalStatusApproved)
	wantErr[*types.ActionNotFoundException](t, err, "unknown action", "'Gate'")
	_, err = put("Build", "DockerBuild", token, types.ApprovalStatusApproved)
	wantErr[*types.ActionNotFoundException](t, err, "not an approval", "not a manual approval")

	e.clock.Advance(time.Minute)
	out, err := put("Approve", "ProdGate", token, types.ApprovalStatusApproved)
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToTime(out.ApprovedAt).Equal(e.clock.Now()) {
		t.Errorf("approvedAt %v", out.ApprovedAt)
	}
	ex, _ := e.st.PipelineExecution("web", a.ID)
	if r := ex.Stages[2].Actions[0]; r.ApprovalStatus != "Approved" || r.ApprovalSummary != "looks good" || r.Status != model.ActionInProgress {
		t.Fatalf("stored run %+v", r)
	}
	_, err = put("Approve", "ProdGate", token, types.ApprovalStatusRejected)
	wantErr[*types.ApprovalAlreadyCompletedException](t, err, "second answer", "Approved")

	// The engine finished it: the token is spent.
	e.edit(t, "web", a.ID, func(ex *model.PipelineExecution) { ex.Stages[2].Actions[0].Status = model.ActionSucceeded })
	_, err = put("Approve", "ProdGate", token, types.ApprovalStatusApproved)
	wantErr[*types.ApprovalAlreadyCompletedException](t, err, "finished approval")

	// A rejection is recorded the same way.
	b := e.start(t, "web")
	e.edit(t, "web", b.ID, func(ex *model.PipelineExecution) {
		ex.Stage, ex.Waiting = 2, false
		ex.Stages[2].Status = model.StageInProgress
		ex.Stages[2].Actions = []model.ActionExecution{{Name: "ProdGate", ID: uuid.NewString(), Status: model.ActionInProgress, Token: "99999999-2222-4333-8444-555555555555"}}
	})
	if _, err := put("Approve", "ProdGate", "99999999-2222-4333-8444-555555555555", types.ApprovalStatusRejected); err != nil {
		t.Fatal(err)
	}
	if ex, _ := e.st.PipelineExecution("web", b.ID); ex.Stages[2].Actions[0].ApprovalStatus != "Rejected" {
		t.Errorf("rejection not stored: %+v", ex.Stages[2].Actions[0])
	}
}

// retryFixture creates a pipeline whose Build stage runs Lint and
// DockerBuild side by side, and an execution in which Lint succeeded and
// DockerBuild failed.
func retryFixture(t *testing.T, e *env) *model.PipelineExecution {
	t.Helper()
	d := declaration("web")
	d.Stages[1].Actions = append(d.Stages[1].Actions, types.ActionDeclaration{Name: aws.String("Lint"),
		ActionTypeId: typeID(types.ActionCategoryTest, "CodeBuild"), Configuration: map[string]string{"ProjectName": "lint"},
		InputArtifacts: []types.InputArtifact{{Name: aws.String("Src")}}})
	e.create(t, d)
	ex := e.executions("web")[0]
	return e.edit(t, "web", ex.ID, func(ex *model.PipelineExecution) {
		now := e.clock.Now()
		ex.Stages[0].Status, ex.Stages[0].Actions = model.StageSucceeded, []model.ActionExecution{sourceRun(now, "aaa")}
		ex.Stages[1].Status = model.StageFailed
		ex.Stages[1].Actions = []model.ActionExecution{
			{Name: "DockerBuild", ID: uuid.NewString(), Status: model.ActionFailed, Start: now, LastChange: now, ErrorMessage: "exit 2"},
			{Name: "Lint", ID: uuid.NewString(), Status: model.ActionSucceeded, Start: now, LastChange: now},
		}
		ex.Stage, ex.Waiting, ex.Status, ex.StatusSummary = 1, false, model.ExecFailed, "exit 2"
	})
}

func TestRetryStageExecution(t *testing.T) {
	e := setup(t)
	ex := retryFixture(t, e)
	retry := func(stage string, mode types.StageRetryMode) error {
		_, err := e.c.RetryStageExecution(ctx(t), &codepipeline.RetryStageExecutionInput{PipelineName: aws.String("web"),
			PipelineExecutionId: aws.String(ex.ID), StageName: aws.String(stage), RetryMode: mode})
		return err
	}
	wantErr[*types.StageNotRetryableException](t, retry("Deploy", types.StageRetryModeFailedActions), "other stage", "did not fail or stop")
	wantErr[*types.StageNotFoundException](t, retry("Test", types.StageRetryModeFailedActions), "unknown stage", "'Test'")

	out, err := e.c.RetryStageExecution(ctx(t), &codepipeline.RetryStageExecutionInput{PipelineName: aws.String("web"),
		PipelineExecutionId: aws.String(ex.ID), StageName: aws.String("Build"), RetryMode: types.StageRetryModeFailedActions})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.PipelineExecutionId) != ex.ID {
		t.Errorf("id %s", aws.ToString(out.PipelineExecutionId))
	}
	got, _ := e.st.PipelineExecution("web", ex.ID)
	build := got.Stages[1]
	if got.Status != model.ExecInProgress || got.StatusSummary != "" || got.Stage != 1 || got.Waiting ||
		build.Status != model.StageInProgress || build.Attempt != 1 || len(build.Actions) != 1 || build.Actions[0].Name != "Lint" {
		t.Fatalf("after FAILED_ACTIONS: %+v", got)
	}
	wantErr[*types.StageNotRetryableException](t, retry("Build", types.StageRetryModeFailedActions), "in progress", "InProgress")

	// Stopped in the stage with abandon: ALL_ACTIONS starts it over and
	// forgets the stop.
	e.edit(t, "web", ex.ID, func(ex *model.PipelineExecution) {
		ex.Status, ex.Stages[1].Status = model.ExecStopped, model.StageStopped
		ex.StopRequested, ex.Abandon, ex.StopReason = true, true, "stop"
		ex.Stages[1].Actions = append(ex.Stages[1].Actions, model.ActionExecution{Name: "DockerBuild", ID: uuid.NewString(), Status: model.ActionAbandoned})
	})
	if err := retry("Build", types.StageRetryModeAllActions); err != nil {
		t.Fatal(err)
	}
	got, _ = e.st.PipelineExecution("web", ex.ID)
	if got.StopRequested || got.Abandon || got.StopReason != "" || len(got.Stages[1].Actions) != 0 || got.Stages[1].Attempt != 2 {
		t.Fatalf("after ALL_ACTIONS: %+v", got)
	}
	out2, _ := e.c.GetPipelineState(ctx(t), &codepipeline.GetPipelineStateInput{Name: aws.String("web")})
	if m := out2.StageStates[1].RetryStageMetadata; m == nil || aws.ToInt32(m.ManualStageRetryAttempt) != 2 {
		t.Errorf("retry metadata %+v", m)
	}

	// ALL_ACTIONS waits for running actions.
	e.edit(t, "web", ex.ID, func(ex *model.PipelineExecution) {
		ex.Status, ex.Stages[1].Status = model.ExecFailed, model.StageFailed
		ex.Stages[1].Actions = []model.ActionExecution{{Name: "DockerBuild", ID: uuid.NewString(), Status: model.ActionFailed},
			{Name: "Lint", ID: uuid.NewString(), Status: model.ActionInProgress}}
	})
	wantErr[*types.StageNotRetryableException](t, retry("Build", types.StageRetryModeAllActions), "running action", "in progress")

	// A newer execution entered the stage.
	newer := e.start(t, "web")
	e.edit(t, "web", newer.ID, func(ex *model.PipelineExecution) {
		ex.Stages[1].Status, ex.Stage, ex.Waiting = model.StageInProgress, 1, false
	})
	wantErr[*types.NotLatestPipelineExecutionException](t, retry("Build", types.StageRetryModeFailedActions), "newer execution", newer.ID)
	e.edit(t, "web", newer.ID, func(ex *model.PipelineExecution) { ex.Stages[1].Status, ex.Stage, ex.Waiting = "", 1, true })
	if err := retry("Build", types.StageRetryModeFailedActions); err != nil {
		t.Fatalf("a newer execution waiting at the door does not block a retry: %v", err)
	}

	// The pipeline changed since the execution started.
	e.edit(t, "web", ex.ID, func(ex *model.PipelineExecution) {
		ex.Status, ex.Stages[1].Status = model.ExecFailed, model.StageFailed
	})
	d := declaration("web")
	if _, err := e.c.UpdatePipeline(ctx(t), &codepipeline.UpdatePipelineInput{Pipeline: d}); err != nil {
		t.Fatal(err)
	}
	wantErr[*types.StageNotRetryableException](t, retry("Build", types.StageRetryModeFailedActions), "updated pipeline", "updated")

	_, err = e.c.RetryStageExecution(ctx(t), &codepipeline.RetryStageExecutionInput{PipelineName: aws.String("web"),
		PipelineExecutionId: aws.String(uuid.NewString()), StageName: aws.String("Build"), RetryMode: types.StageRetryModeFailedActions})
	wantErr[*types.StageNotRetryableException](t, err, "unknown execution", "does not exist")
}

func TestStageTransitions(t *testing.T) {
	e := setup(t)
	e.create(t, declaration("web"))
	set := func(stage string, typ types.StageTransitionType, enable bool, reason string) error {
		if enable {
			_, err := e.c.EnableStageTransition(ctx(t), &codepipeline.EnableStageTransitionInput{PipelineName: aws.String("web"),
				StageName: aws.String(stage), TransitionType: typ})
			return err
		}
		_, err := e.c.DisableStageTransition(ctx(t), &codepipeline.DisableStageTransitionInput{PipelineName: aws.String("web"),
			StageName: aws.String(stage), TransitionType: typ, Reason: aws.String(reason)})
		return err
	}
	if err := set("Deploy", types.StageTransitionTypeInbound, false, "Release freeze"); err != nil {
		t.Fatal(err)
	}
	p, _ := e.st.Pipeline("web")
	if tr := p.Transitions["Deploy"]; tr.Enabled || tr.Reason != "Release freeze" || tr.LastChangedBy != root || !tr.LastChangedAt.Equal(e.clock.Now()) {
		t.Fatalf("stored %+v", tr)
	}
	if p.Version != 1 {
		t.Errorf("a transition changed the version: %d", p.Version)
	}
	e.clock.Advance(time.Minute)
	if err := set("Deploy", types.StageTransitionTypeInbound, true, ""); err != nil {
		t.Fatal(err)
	}
	p, _ = e.st.Pipeline("web")
	if tr := p.Transitions["Deploy"]; !tr.Enabled || tr.Reason != "" || !tr.LastChangedAt.Equal(e.clock.Now()) {
		t.Fatalf("enabled %+v", tr)
	}
	// A stage's Outbound transition is the next stage's Inbound one.
	if err := set("Build", types.StageTransitionTypeOutbound, false, "Waiting for QA"); err != nil {
		t.Fatal(err)
	}
	out, _ := e.c.GetPipelineState(ctx(t), &codepipeline.GetPipelineStateInput{Name: aws.String("web")})
	if tr := out.StageStates[2].InboundTransitionState; tr.Enabled || aws.ToString(tr.DisabledReason) != "Waiting for QA" {
		t.Errorf("Approve door %+v", tr)
	}

	wantErr[*types.ValidationException](t, set("Deploy", types.StageTransitionTypeOutbound, false, "x"), "last outbound", "transitionType", "last stage")
	wantErr[*types.ValidationException](t, set("Source", types.StageTransitionTypeInbound, false, "x"), "first inbound", "transitionType", "first stage")
	wantErr[*types.ValidationException](t, set("Build", types.StageTransitionTypeInbound, false, "no_underscores"), "reason", "'reason'")
	wantErr[*types.StageNotFoundException](t, set("Test", types.StageTransitionTypeInbound, true, ""), "unknown stage", "'Test'")
	_, err := e.c.EnableStageTransition(ctx(t), &codepipeline.EnableStageTransitionInput{PipelineName: aws.String("nope"),
		StageName: aws.String("Build"), TransitionType: types.StageTransitionTypeInbound})
	wantErr[*types.PipelineNotFoundException](t, err, "unknown pipeline")
}

func TestRollbackStage(t *testing.T) {
	e := setup(t)
	ex := retryFixture(t, e)
	rollback := func(stage, target string) (*codepipeline.RollbackStageOutput, error) {
		return e.c.RollbackStage(ctx(t), &codepipeline.RollbackStageInput{PipelineName: aws.String("web"),
			StageName: aws.String(stage), TargetPipelineExecutionId: aws.String(target)})
	}
	_, err := rollback("Build", ex.ID)
	wantErr[*types.UnableToRollbackStageException](t, err, "target failed in the stage", "did not succeed")
	_, err = rollback("Source", ex.ID)
	wantErr[*types.UnableToRollbackStageException](t, err, "source stage", "source stage")
	_, err = rollback("Build", uuid.NewString())
	wantErr[*types.PipelineExecutionNotFoundException](t, err, "unknown target", "does not exist")
	_, err = rollback("Nope", ex.ID)
	wantErr[*types.StageNotFoundException](t, err, "unknown stage", "'Nope'")

	e.edit(t, "web", ex.ID, func(ex *model.PipelineExecution) {
		ex.Stages[1].Status, ex.Status = model.StageSucceeded, model.ExecSucceeded
		for i := range ex.Stages[1].Actions {
			ex.Stages[1].Actions[i].Status = model.ActionSucceeded
		}
	})
	out, err := rollback("Build", ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	rb, ok := e.st.PipelineExecution("web", aws.ToString(out.PipelineExecutionId))
	if !ok || rb.Type != model.ExecRollback || rb.RollbackTarget != ex.ID || rb.Stage != 1 || !rb.Waiting ||
		len(rb.Stages[0].Actions) != 1 || rb.Stages[0].Actions[0].Revision != "aaa" || len(rb.Stages[1].Actions) != 0 || rb.TriggerType != "ManualRollback" {
		t.Fatalf("rollback execution = %+v", rb)
	}
	got, err := e.c.GetPipelineExecution(ctx(t), &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String("web"), PipelineExecutionId: out.PipelineExecutionId})
	if err != nil || got.PipelineExecution.ExecutionType != types.ExecutionTypeRollback ||
		aws.ToString(got.PipelineExecution.RollbackMetadata.RollbackTargetPipelineExecutionId) != ex.ID {
		t.Fatalf("GetPipelineExecution of the rollback: %v %+v", err, got)
	}
	_, err = rollback("Build", rb.ID)
	wantErr[*types.UnableToRollbackStageException](t, err, "rollback of a rollback", "itself a rollback")

	if _, err := e.c.UpdatePipeline(ctx(t), &codepipeline.UpdatePipelineInput{Pipeline: declaration("web")}); err != nil {
		t.Fatal(err)
	}
	_, err = rollback("Build", ex.ID)
	wantErr[*types.PipelineExecutionOutdatedException](t, err, "older pipeline version", "version")
}
