package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// testPipeline: Source → Build → Deploy, one action each (Build has two
// actions in two run orders).
func testPipeline(mode string) *model.Pipeline {
	return &model.Pipeline{Name: "p", Version: 1, ExecutionMode: mode, Stages: []model.PipelineStage{
		{Name: "Source", Actions: []model.PipelineAction{{Name: "Src", Category: "Source"}}},
		{Name: "Build", Actions: []model.PipelineAction{{Name: "Compile", RunOrder: 1}, {Name: "Test", RunOrder: 2}}},
		{Name: "Deploy", Actions: []model.PipelineAction{{Name: "Roll"}}},
	}}
}

// ex builds an execution started at t0+n seconds at stage (waiting or in
// it), with the given actions of that stage in the given statuses.
func ex(id string, n int, mode string, stage int, waiting bool, actions ...string) *model.PipelineExecution {
	e := &model.PipelineExecution{ID: id, Pipeline: "p", PipelineVersion: 1, Status: model.ExecInProgress, Mode: mode,
		StartTime: t0.Add(time.Duration(n) * time.Second), Stage: stage, Waiting: waiting,
		Stages: []model.StageExecution{{Name: "Source"}, {Name: "Build"}, {Name: "Deploy"}}}
	for i := 0; i < stage; i++ {
		e.Stages[i].Status = model.StageSucceeded
	}
	if !waiting {
		e.Stages[stage].Status = model.StageInProgress
	}
	for _, a := range actions {
		name, status, _ := strings.Cut(a, "=")
		e.Stages[stage].Actions = append(e.Stages[stage].Actions, model.ActionExecution{Name: name, ID: name, Status: status})
	}
	return e
}

// describe renders an execution as "id:status@stage[+wait]".
func describe(e *model.PipelineExecution) string {
	s := e.ID + ":" + e.Status + "@" + e.Stages[e.Stage].Name
	if e.Waiting {
		s += "+wait"
	}
	return s
}

func TestStep(t *testing.T) {
	tests := []struct {
		name  string
		mode  string
		execs []*model.PipelineExecution
		trans map[string]model.Transition
		want  []string // changed executions, described
	}{
		{
			name:  "a new execution enters the free source stage",
			execs: []*model.PipelineExecution{ex("a", 0, "", 0, true)},
			want:  []string{"a:InProgress@Source"},
		},
		{
			name:  "a stage whose actions all succeeded is left for the next door",
			execs: []*model.PipelineExecution{ex("a", 0, "", 0, false, "Src=Succeeded")},
			want:  []string{"a:InProgress@Build"},
		},
		{
			name:  "the last stage succeeding ends the execution",
			execs: []*model.PipelineExecution{ex("a", 0, "", 2, false, "Roll=Succeeded")},
			want:  []string{"a:Succeeded@Deploy"},
		},
		{
			name:  "half of the build stage done: nothing moves",
			execs: []*model.PipelineExecution{ex("a", 0, "", 1, false, "Compile=Succeeded")},
			want:  nil,
		},
		{
			name:  "a failed action fails the execution once nothing runs",
			execs: []*model.PipelineExecution{ex("a", 0, "", 1, false, "Compile=Failed")},
			want:  []string{"a:Failed@Build"},
		},
		{
			name:  "a locked stage keeps the newer execution at the door",
			execs: []*model.PipelineExecution{ex("a", 0, "", 1, false, "Compile=InProgress"), ex("b", 5, "", 1, true)},
			want:  nil,
		},
		{
			name: "SUPERSEDED: a newer execution at the same door supersedes the older waiting one",
			execs: []*model.PipelineExecution{
				ex("a", 0, "", 2, false, "Roll=InProgress"), ex("b", 5, "", 2, true), ex("c", 9, "", 2, true)},
			want: []string{"b:Superseded@Deploy+wait"},
		},
		{
			name: "SUPERSEDED: the newest waiting execution enters when the stage frees",
			execs: []*model.PipelineExecution{
				ex("a", 0, "", 2, false, "Roll=Succeeded"), ex("b", 5, "", 2, true), ex("c", 9, "", 2, true)},
			want: []string{"a:Succeeded@Deploy", "b:Superseded@Deploy+wait", "c:InProgress@Deploy"},
		},
		{
			name: "QUEUED: the oldest waiting execution enters, none is superseded",
			mode: model.ModeQueued,
			execs: []*model.PipelineExecution{
				ex("a", 0, model.ModeQueued, 2, false, "Roll=Succeeded"), ex("b", 5, model.ModeQueued, 2, true), ex("c", 9, model.ModeQueued, 2, true)},
			want: []string{"a:Succeeded@Deploy", "b:InProgress@Deploy"},
		},
		{
			name: "PARALLEL: no stage lock",
			mode: model.ModeParallel,
			execs: []*model.PipelineExecution{
				ex("a", 0, model.ModeParallel, 1, false, "Compile=InProgress"), ex("b", 5, model.ModeParallel, 1, true)},
			want: []string{"b:InProgress@Build"},
		},
		{
			name:  "a disabled transition holds the execution at the door",
			execs: []*model.PipelineExecution{ex("a", 0, "", 2, true)},
			trans: map[string]model.Transition{"Deploy": {Enabled: false, Reason: "freeze"}},
			want:  nil,
		},
		{
			name: "a stop request with running actions is Stopping, then Stopped",
			execs: []*model.PipelineExecution{func() *model.PipelineExecution {
				e := ex("a", 0, "", 1, false, "Compile=InProgress")
				e.StopRequested = true
				return e
			}()},
			want: []string{"a:Stopping@Build"},
		},
		{
			name: "abandon marks running actions Abandoned and stops at once",
			execs: []*model.PipelineExecution{func() *model.PipelineExecution {
				e := ex("a", 0, "", 1, false, "Compile=InProgress")
				e.StopRequested, e.Abandon = true, true
				return e
			}()},
			want: []string{"a:Stopped@Build"},
		},
		{
			name: "stopping a waiting execution stops it",
			execs: []*model.PipelineExecution{func() *model.PipelineExecution {
				e := ex("a", 0, "", 1, true)
				e.StopRequested = true
				return e
			}()},
			want: []string{"a:Stopped@Build+wait"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPipeline(tt.mode)
			decl := func(int32) *model.Pipeline { return p }
			before := map[string]string{}
			for _, e := range tt.execs {
				before[e.ID] = describe(e)
			}
			var got []string
			for _, c := range Step(tt.execs, decl, tt.trans, t0.Add(time.Minute)) {
				got = append(got, describe(c))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("Step changed\n got %v\nwant %v", got, tt.want)
			}
			for _, e := range tt.execs {
				if describe(e) != before[e.ID] {
					t.Fatalf("Step modified its input %s", e.ID)
				}
			}
		})
	}
}

func TestNextActions(t *testing.T) {
	p := testPipeline("")
	tests := []struct {
		name string
		e    *model.PipelineExecution
		want string
	}{
		{"first run order first", ex("a", 0, "", 1, false), "Compile"},
		{"the next group once the first succeeded", ex("a", 0, "", 1, false, "Compile=Succeeded"), "Test"},
		{"nothing while a group runs", ex("a", 0, "", 1, false, "Compile=InProgress"), ""},
		{"nothing after a failure", ex("a", 0, "", 1, false, "Compile=Failed"), ""},
		{"nothing at the door", ex("a", 0, "", 1, true), ""},
	}
	for _, tt := range tests {
		var names []string
		for _, a := range NextActions(tt.e, p) {
			names = append(names, a.Name)
		}
		if got := strings.Join(names, ","); got != tt.want {
			t.Errorf("%s: NextActions = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTriggered(t *testing.T) {
	src := func(cfg map[string]string) *model.Pipeline {
		return &model.Pipeline{Stages: []model.PipelineStage{{Name: "Source", Actions: []model.PipelineAction{
			{Name: "Src", Category: "Source", Owner: "AWS", Provider: "CodeCommit", Configuration: cfg}}}}}
	}
	v1 := src(map[string]string{"RepositoryName": "hello", "BranchName": "main"})
	noPoll := src(map[string]string{"RepositoryName": "hello", "BranchName": "main", "PollForSourceChanges": "false"})
	v2 := src(map[string]string{"RepositoryName": "hello", "BranchName": "main"})
	v2.Triggers = []model.PipelineTrigger{{SourceActionName: "Src", Push: []model.PushFilter{
		{Branches: &model.IncludeExclude{Includes: []string{"main", "release/*"}, Excludes: []string{"release/old"}}},
		{Tags: &model.IncludeExclude{Includes: []string{"v*"}}},
	}}}
	c := "1111111111111111111111111111111111111111"
	tests := []struct {
		name string
		p    *model.Pipeline
		push Push
		want bool
	}{
		{"branch push", v1, Push{Repo: "hello", Ref: "refs/heads/main", New: c}, true},
		{"other branch", v1, Push{Repo: "hello", Ref: "refs/heads/dev", New: c}, false},
		{"other repository", v1, Push{Repo: "other", Ref: "refs/heads/main", New: c}, false},
		{"deletion", v1, Push{Repo: "hello", Ref: "refs/heads/main", New: zeroID}, false},
		{"change detection off", noPoll, Push{Repo: "hello", Ref: "refs/heads/main", New: c}, false},
		{"V2 branch glob", v2, Push{Repo: "hello", Ref: "refs/heads/release/1.2", New: c}, true},
		{"V2 excluded branch", v2, Push{Repo: "hello", Ref: "refs/heads/release/old", New: c}, false},
		{"V2 tag", v2, Push{Repo: "hello", Ref: "refs/tags/v2", New: c}, true},
		{"V2 unmatched branch", v2, Push{Repo: "hello", Ref: "refs/heads/dev", New: c}, false},
	}
	for _, tt := range tests {
		if got := len(Triggered(tt.p, tt.push)) > 0; got != tt.want {
			t.Errorf("%s: triggered = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStepRollbackEndsAfterItsStage(t *testing.T) {
	p := testPipeline("")
	e := ex("r", 0, "", 1, false, "Compile=Succeeded", "Test=Succeeded")
	e.Type = model.ExecRollback
	got := Step([]*model.PipelineExecution{e}, func(int32) *model.Pipeline { return p }, nil, t0)
	if len(got) != 1 || describe(got[0]) != "r:Succeeded@Build" {
		t.Fatalf("rollback after its stage: %v", got)
	}
}

func TestStepOnFailureRetry(t *testing.T) {
	p := testPipeline("")
	p.Stages[1].OnFailure = "RETRY"
	decl := func(int32) *model.Pipeline { return p }
	e := ex("a", 0, "", 1, false, "Compile=Succeeded", "Test=Failed")
	got := Step([]*model.PipelineExecution{e}, decl, nil, t0)
	if len(got) != 1 || got[0].Status != model.ExecInProgress || !got[0].Stages[1].AutoRetried ||
		len(got[0].Stages[1].Actions) != 1 || got[0].Stages[1].Actions[0].Name != "Compile" {
		t.Fatalf("first failure with RETRY: %+v", got)
	}
	if next := NextActions(got[0], p); len(next) != 1 || next[0].Name != "Test" {
		t.Fatalf("the failed action is not run again: %v", next)
	}
	again := got[0]
	again.Stages[1].Actions = append(again.Stages[1].Actions, model.ActionExecution{Name: "Test", ID: "t2", Status: model.ActionFailed})
	got = Step([]*model.PipelineExecution{again}, decl, nil, t0)
	if len(got) != 1 || got[0].Status != model.ExecFailed {
		t.Fatalf("second failure: %+v", got)
	}
}

func TestRollbackTarget(t *testing.T) {
	ok := ex("ok", 0, "", 2, false, "Roll=Succeeded")
	ok.Stages[2].Status, ok.Status = model.StageSucceeded, model.ExecSucceeded
	newer := ex("newer", 5, "", 2, false, "Roll=Succeeded")
	newer.Stages[2].Status, newer.Status = model.StageSucceeded, model.ExecSucceeded
	rb := ex("rb", 7, "", 2, false, "Roll=Succeeded")
	rb.Stages[2].Status, rb.Type = model.StageSucceeded, model.ExecRollback
	old := ex("old", 1, "", 2, false)
	old.PipelineVersion = 0
	failedNow := ex("failed", 9, "", 2, false, "Roll=Failed")
	all := []*model.PipelineExecution{failedNow, rb, newer, old, ok}
	if got := rollbackTarget(all, failedNow, 2); got != "newer" {
		t.Fatalf("rollback target = %q, want the newest success in the stage", got)
	}
	if got := rollbackTarget([]*model.PipelineExecution{failedNow, rb}, failedNow, 2); got != "" {
		t.Fatalf("rollback target without a prior success = %q", got)
	}
}
