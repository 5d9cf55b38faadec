package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
)

const commit = "3f2c1ab9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3"

// helloDecl is Source → Build → Approve → Deploy, as the short form makes it.
func helloDecl(t *testing.T) *cptypes.PipelineDeclaration {
	t.Helper()
	in, err := parsePipelineFile([]byte(`
name: hello
source: {repository: hello}
build: {project: hello}
approval: {message: "Deploy?"}
deploy: {service: hello}
`))
	if err != nil {
		t.Fatal(err)
	}
	return &in.Pipeline
}

// act is an action state.
func act(name string, status cptypes.ActionExecutionStatus, at time.Time, opts ...func(*cptypes.ActionExecution)) cptypes.ActionState {
	ae := &cptypes.ActionExecution{Status: status, LastStatusChange: aws.Time(at)}
	for _, o := range opts {
		o(ae)
	}
	return cptypes.ActionState{ActionName: aws.String(name), LatestExecution: ae}
}

func ext(id string) func(*cptypes.ActionExecution) {
	return func(ae *cptypes.ActionExecution) { ae.ExternalExecutionId = aws.String(id) }
}
func summary(s string) func(*cptypes.ActionExecution) {
	return func(ae *cptypes.ActionExecution) { ae.Summary = aws.String(s) }
}
func token(s string) func(*cptypes.ActionExecution) {
	return func(ae *cptypes.ActionExecution) { ae.Token = aws.String(s) }
}
func failure(code, msg string) func(*cptypes.ActionExecution) {
	return func(ae *cptypes.ActionExecution) {
		ae.ErrorDetails = &cptypes.ErrorDetails{Code: aws.String(code), Message: aws.String(msg)}
	}
}

// stage is a stage state whose latest execution is exec.
func stage(name, exec string, status cptypes.StageExecutionStatus, actions ...cptypes.ActionState) cptypes.StageState {
	return cptypes.StageState{StageName: aws.String(name), ActionStates: actions,
		LatestExecution: &cptypes.StageExecution{PipelineExecutionId: aws.String(exec), Status: status}}
}

func state(stages ...cptypes.StageState) *codepipeline.GetPipelineStateOutput {
	return &codepipeline.GetPipelineStateOutput{PipelineName: aws.String("hello"), StageStates: stages}
}

func execution(status cptypes.PipelineExecutionStatus, summary string) *cptypes.PipelineExecution {
	ex := &cptypes.PipelineExecution{PipelineExecutionId: aws.String("e2"), PipelineName: aws.String("hello"), Status: status,
		Trigger:           &cptypes.ExecutionTrigger{TriggerType: cptypes.TriggerTypeWebhookV2},
		ArtifactRevisions: []cptypes.ArtifactRevision{{Name: aws.String("SourceArtifact"), RevisionId: aws.String(commit), RevisionSummary: aws.String("Update greeting\n\nlonger text")}}}
	if summary != "" {
		ex.StatusSummary = aws.String(summary)
	}
	return ex
}

// A whole execution, poll by poll: the plain lines are one per change,
// with the hints for builds, approvals and deployments, and the verdict of
// a failed deployment.
func TestPipelineViewPlainLines(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	const (
		ip  = cptypes.ActionExecutionStatusInProgress
		ok  = cptypes.ActionExecutionStatusSucceeded
		bad = cptypes.ActionExecutionStatusFailed
	)
	// The previous execution e1 left its states in every stage.
	oldBuild := stage("Build", "e1", "Succeeded", act("Build", ok, at(-60), ext("hello:b1")))
	oldApprove := stage("Approve", "e1", "Succeeded", act("Approve", ok, at(-50)))
	oldDeploy := stage("Deploy", "e1", "Succeeded", act("Deploy", ok, at(-40), ext("ecs-svc/1")))
	src := func(s cptypes.ActionState) cptypes.StageState { return stage("Source", "e2", "InProgress", s) }
	srcDone := src(act("Source", ok, at(1), ext(commit), summary("Update greeting")))
	build := stage("Build", "e2", "InProgress", act("Build", ip, at(2), ext("hello:b2")))
	buildDone := stage("Build", "e2", "Succeeded", act("Build", ok, at(32), ext("hello:b2")))
	approve := stage("Approve", "e2", "InProgress", act("Approve", ip, at(33), token("tok-1")))
	approved := stage("Approve", "e2", "Succeeded", act("Approve", ok, at(40), summary("Approved with wharf pipeline approve")))
	deploy := stage("Deploy", "e2", "InProgress", act("Deploy", ip, at(41), ext("ecs-svc/2")))
	deployFailed := stage("Deploy", "e2", "Failed", act("Deploy", bad, at(100), ext("ecs-svc/2"),
		failure("JobFailed", "deployment ecs-svc/2 failed: tasks failed to start\nmore detail")))
	deployStarting := stage("Deploy", "e2", "InProgress", act("Deploy", ip, at(41)))

	steps := []struct {
		state *codepipeline.GetPipelineStateOutput
		exec  *cptypes.PipelineExecution
		want  []string
	}{
		{state(src(act("Source", ip, at(0))), oldBuild, oldApprove, oldDeploy), execution("InProgress", ""),
			[]string{"Source/Source InProgress"}},
		{state(srcDone, build, oldApprove, oldDeploy), execution("InProgress", ""),
			[]string{"Source/Source Succeeded (1s) 3f2c1ab Update greeting",
				"Build/Build InProgress hello:b2",
				"  logs:    wharf logs build hello:b2 -f"}},
		{state(srcDone, build, oldApprove, oldDeploy), execution("InProgress", ""), nil},
		{state(srcDone, buildDone, approve, oldDeploy), execution("InProgress", ""),
			[]string{"Build/Build Succeeded (30s) hello:b2",
				"Approve/Approve InProgress waiting for approval: Deploy?",
				"  approve: wharf pipeline approve hello --stage Approve --action Approve --token tok-1",
				"  reject:  wharf pipeline approve hello --stage Approve --action Approve --token tok-1 --reject"}},
		{state(srcDone, buildDone, approved, deployStarting), execution("InProgress", ""),
			[]string{"Approve/Approve Succeeded (7s) Approved with wharf pipeline approve",
				"Deploy/Deploy InProgress",
				"  rollout: wharf services --cluster default; wharf ps --cluster default --service hello -a"}},
		// The deployment id arrives: a new line, the same hint is not repeated.
		{state(srcDone, buildDone, approved, deploy), execution("InProgress", ""),
			[]string{"Deploy/Deploy InProgress ecs-svc/2"}},
		{state(srcDone, buildDone, approved, deployFailed), execution("Failed", "Deploy failed"),
			[]string{"Deploy/Deploy Failed (59s) deployment ecs-svc/2 failed: tasks failed to start"}},
	}
	v := newPipelineView("hello", "e2", helloDecl(t), t0)
	for i, s := range steps {
		v.update(s.state, s.exec)
		got := v.changes()
		if strings.Join(got, "\n") != strings.Join(s.want, "\n") {
			t.Errorf("step %d:\n got %q\nwant %q", i, got, s.want)
		}
		if done, _, _ := v.verdict(); done != (i == len(steps)-1) {
			t.Errorf("step %d: done = %v", i, done)
		}
	}
	v.until = at(101)
	done, code, lines := v.verdict()
	want := []string{
		"Execution e2 of pipeline hello Failed in 1m41s: Deploy failed",
		"  Deploy/Deploy Failed: JobFailed: deployment ecs-svc/2 failed: tasks failed to start",
		"    rollout: wharf services --cluster default; wharf ps --cluster default --service hello -a",
	}
	if !done || code != exitFailed || strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("verdict %v %d\n%s\nwant\n%s", done, code, strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestPipelineViewFrame(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	v := newPipelineView("hello", "e2", helloDecl(t), t0)
	v.update(state(
		stage("Source", "e2", "Succeeded", act("Source", "Succeeded", t0.Add(time.Second), ext(commit), summary("Update greeting"))),
		stage("Build", "e2", "InProgress", act("Build", "InProgress", t0.Add(2*time.Second), ext("hello:b2"))),
		stage("Approve", "e1", "Succeeded", act("Approve", "Succeeded", t0.Add(-time.Hour))),
	), execution("InProgress", ""))
	// Source was first seen done: ListActionExecutions tells its times.
	v.setTimes([]cptypes.ActionExecutionDetail{
		{PipelineExecutionId: aws.String("e2"), StageName: aws.String("Source"), ActionName: aws.String("Source"), Status: "Succeeded",
			StartTime: aws.Time(t0), LastUpdateTime: aws.Time(t0.Add(time.Second))},
		{PipelineExecutionId: aws.String("e1"), StageName: aws.String("Approve"), ActionName: aws.String("Approve"), Status: "Succeeded",
			StartTime: aws.Time(t0.Add(-2 * time.Hour)), LastUpdateTime: aws.Time(t0.Add(-time.Hour))},
	})
	got := strings.Join(v.frame(t0.Add(65*time.Second)), "\n")
	want := `Pipeline hello · execution e2 · InProgress · 1m05s
Revision 3f2c1ab Update greeting · trigger WebhookV2

STAGE    ACTION   STATUS      TIME   DETAIL
Source   Source   Succeeded   1s     3f2c1ab Update greeting
Build    Build    InProgress  1m03s  hello:b2
Approve  Approve  -           -      
Deploy   Deploy   -           -      

  logs:    wharf logs build hello:b2 -f`
	if got != want {
		t.Errorf("frame:\n%s\nwant:\n%s", got, want)
	}
}

// Action states older than the execution (a later runOrder that has not
// run in it yet) are not its; an execution waiting at a stage's door shows
// Waiting; a superseded execution ends with exit status 3.
func TestPipelineViewStaleWaitingSuperseded(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	v := newPipelineView("hello", "e2", nil, t0)
	v.update(state(
		stage("Source", "e2", "Succeeded", act("Source", "Succeeded", t0.Add(time.Second))),
		stage("Build", "e2", "InProgress",
			act("Unit", "InProgress", t0.Add(2*time.Second), ext("unit:1")),
			act("Image", "Succeeded", t0.Add(-time.Minute), ext("image:old"))),
		cptypes.StageState{StageName: aws.String("Deploy"),
			ActionStates:     []cptypes.ActionState{act("Deploy", "InProgress", t0.Add(-time.Second), ext("ecs-svc/1"))},
			LatestExecution:  &cptypes.StageExecution{PipelineExecutionId: aws.String("e1"), Status: "InProgress"},
			InboundExecution: &cptypes.StageExecution{PipelineExecutionId: aws.String("e2"), Status: "InProgress"}},
	), execution("InProgress", ""))
	got := v.changes()
	want := []string{
		"Source/Source Succeeded",
		"Build/Unit InProgress unit:1",
		"Deploy/Deploy Waiting waiting to enter the stage",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines\n%q\nwant\n%q", got, want)
	}
	v.update(nil, execution("Superseded", "Superseded by e3"))
	if done, code, lines := v.verdict(); !done || code != exitFailed || lines[0] != "Execution e2 of pipeline hello Superseded: Superseded by e3" {
		t.Errorf("verdict %v %d %q", done, code, lines)
	}
	v.update(nil, execution("Succeeded", ""))
	if done, code, lines := v.verdict(); !done || code != 0 || len(lines) != 1 {
		t.Errorf("verdict %v %d %q", done, code, lines)
	}
}

func TestFindApproval(t *testing.T) {
	now := time.Now()
	states := []cptypes.StageState{
		stage("Source", "e2", "Succeeded", act("Source", "Succeeded", now)),
		stage("QA", "e2", "InProgress", act("Sign", "InProgress", now, token("t-qa")), act("Other", "Succeeded", now)),
		stage("Prod", "e1", "InProgress", act("Gate", "InProgress", now, token("t-prod"))),
	}
	tests := []struct {
		stage, action string
		haveToken     bool
		states        []cptypes.StageState
		want          string // stage/action/token, or the error
	}{
		{"QA", "Sign", false, states, "QA/Sign/t-qa"},
		{"Prod", "", false, states, "Prod/Gate/t-prod"},
		{"", "", false, states[:2], "QA/Sign/t-qa"},
		{"", "", false, states, "2 approvals are waiting (QA/Sign, Prod/Gate): choose one with --stage and --action"},
		{"QA", "Other", false, states, "action QA/Other is not waiting for approval (no token in the pipeline state)"},
		{"QA", "Nope", false, states, "the pipeline has no action Nope in a stage QA"},
		{"", "", false, states[:1], "no approval is waiting in the pipeline"},
		{"QA", "Other", true, states, "QA/Other/"},
	}
	for _, tt := range tests {
		got, err := findApproval(tt.states, tt.stage, tt.action, tt.haveToken)
		s := got.stage + "/" + got.action + "/" + got.token
		if err != nil {
			s = err.Error()
		}
		if s != tt.want {
			t.Errorf("findApproval(%q, %q): %s, want %s", tt.stage, tt.action, s, tt.want)
		}
	}
}

func TestHistoryAndListTables(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	err := writeHistoryTable(&b, []cptypes.PipelineExecutionSummary{
		{PipelineExecutionId: aws.String("e3"), Status: "InProgress", StartTime: aws.Time(now.Add(-90 * time.Second)),
			Trigger:         &cptypes.ExecutionTrigger{TriggerType: "WebhookV2"},
			SourceRevisions: []cptypes.SourceRevision{{ActionName: aws.String("Source"), RevisionId: aws.String(commit), RevisionSummary: aws.String("Say hi")}}},
		{PipelineExecutionId: aws.String("e2"), Status: "Succeeded", StartTime: aws.Time(now.Add(-time.Hour)), LastUpdateTime: aws.Time(now.Add(-time.Hour + 125*time.Second)),
			Trigger: &cptypes.ExecutionTrigger{TriggerType: "StartPipelineExecution"}},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := `EXECUTION  STATUS      TRIGGER                 REVISION        STARTED  DURATION
e3         InProgress  WebhookV2               3f2c1ab Say hi  1m ago   1m30s
e2         Succeeded   StartPipelineExecution  -               1h ago   2m05s
`
	if b.String() != want {
		t.Errorf("history:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	err = writePipelinesTable(&b, []cptypes.PipelineSummary{
		{Name: aws.String("hello"), Version: aws.Int32(2), PipelineType: "V2", ExecutionMode: "SUPERSEDED", Updated: aws.Time(now.Add(-3 * time.Minute))},
		{Name: aws.String("idle"), Version: aws.Int32(1)},
	}, map[string]cptypes.PipelineExecutionSummary{"hello": {Status: "Succeeded", StartTime: aws.Time(now.Add(-time.Minute))}}, now)
	if err != nil {
		t.Fatal(err)
	}
	want = `NAME   VERSION  TYPE  MODE        LATEST            UPDATED
hello  2        V2    SUPERSEDED  Succeeded 1m ago  3m ago
idle   1        -     -           -                 -
`
	if b.String() != want {
		t.Errorf("list:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestActionRowDetail(t *testing.T) {
	tests := []struct {
		row  actionRow
		want string
	}{
		{actionRow{provider: "CodeBuild", status: "InProgress", externalID: "hello:b2", summary: "Build hello:b2 started"}, "hello:b2"},
		{actionRow{provider: "CodeBuild", status: "Failed", externalID: "hello:b2", errMsg: "Build hello:b2 FAILED in BUILD\nmore"}, "Build hello:b2 FAILED in BUILD"},
		{actionRow{provider: "ECS", status: "InProgress", externalID: "ecs-svc/2", summary: "Deploying hello:3"}, "ecs-svc/2 Deploying hello:3"},
		{actionRow{provider: "ECS", status: "Succeeded", externalID: "ecs-svc/2", summary: "Deployment ecs-svc/2 completed"}, "Deployment ecs-svc/2 completed"},
		{actionRow{provider: "CodeCommit", status: "Succeeded", externalID: commit, summary: "Say hi\n\nbody"}, "3f2c1ab Say hi"},
		{actionRow{provider: "Manual", status: "InProgress", config: map[string]string{"CustomData": "Deploy #{SourceVariables.CommitId}?"}}, "waiting for approval"},
		{actionRow{provider: "Manual", status: "InProgress", summary: "Deploy 3f2c1ab?", config: map[string]string{"CustomData": "Deploy #{SourceVariables.CommitId}?"}}, "waiting for approval: Deploy 3f2c1ab?"},
		{actionRow{provider: "Manual", status: "InProgress", config: map[string]string{"CustomData": "Ship it?"}}, "waiting for approval: Ship it?"},
		{actionRow{provider: "Manual", status: "InProgress", summary: "Waiting for approval: Deploy 3f2c1ab?"}, "Waiting for approval: Deploy 3f2c1ab?"},
		{actionRow{status: rowWaiting}, "waiting to enter the stage"},
	}
	for _, tt := range tests {
		if got := tt.row.detail(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.row, got, tt.want)
		}
	}
}
