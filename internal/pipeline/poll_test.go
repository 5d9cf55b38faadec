package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/store"
)

const (
	c1 = "1111111111111111111111111111111111111111"
	c2 = "2222222222222222222222222222222222222222"
	c3 = "3333333333333333333333333333333333333333"
)

func TestShouldStart(t *testing.T) {
	for _, tt := range []struct {
		name string
		seen seenRevision
		head string
		want bool
	}{
		{"no execution ever took a revision", seenRevision{}, c1, true},
		{"the head was seen", seenRevision{revision: c1}, c1, false},
		{"the branch moved", seenRevision{revision: c1}, c2, true},
		{"the branch moved back", seenRevision{revision: c2}, c1, true},
		{"an abbreviated pin of the head", seenRevision{revision: c1[:7]}, c1, false},
		{"a pin of another commit", seenRevision{revision: c2[:7]}, c1, true},
		{"too short to be a commit", seenRevision{revision: "11"}, c1, true},
		{"case does not matter", seenRevision{revision: "ABCDEF1234"}, "abcdef1234" + strings.Repeat("0", 30), false},
		{"an execution will take the head", seenRevision{pending: true}, c2, false},
		{"no head (the lookup failed)", seenRevision{revision: c1}, "", false},
		{"no head and nothing seen", seenRevision{}, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := shouldStart(tt.seen, tt.head); got != tt.want {
				t.Fatalf("shouldStart(%+v, %q) = %v, want %v", tt.seen, tt.head, got, tt.want)
			}
		})
	}
}

// pollExec builds an execution started at t0+n seconds: its status, the
// revision it pinned for action "Checkout" and the one its source action
// recorded ("" for none).
func pollExec(n int, status, pinned, recorded string) *model.PipelineExecution {
	ex := &model.PipelineExecution{ID: "e" + string(rune('0'+n)), Status: status, StartTime: t0.Add(time.Duration(n) * time.Second),
		Stages: []model.StageExecution{{Name: "Source"}, {Name: "Build"}}}
	if pinned != "" {
		ex.SourceRevisions = map[string]string{"Checkout": pinned}
	}
	if recorded != "" {
		ex.Stages[0].Actions = []model.ActionExecution{{Name: "Checkout", Status: model.ActionSucceeded, Revision: recorded}}
	}
	return ex
}

func TestLastSeen(t *testing.T) {
	const (
		running = model.ExecInProgress
		done    = model.ExecSucceeded
		failed  = model.ExecFailed
	)
	for _, tt := range []struct {
		name  string
		execs []*model.PipelineExecution
		want  seenRevision
	}{
		{"no executions", nil, seenRevision{}},
		{"the newest pinned a revision", []*model.PipelineExecution{pollExec(2, running, c2, ""), pollExec(1, done, c1, c1)}, seenRevision{revision: c2}},
		{"what the action took wins over the pin", []*model.PipelineExecution{pollExec(1, done, c1[:8], c1)}, seenRevision{revision: c1}},
		{"the newest is found whatever the order", []*model.PipelineExecution{pollExec(1, done, c1, ""), pollExec(3, failed, c3, ""), pollExec(2, done, c2, "")},
			seenRevision{revision: c3}},
		{"an unfinished unpinned execution takes the head itself", []*model.PipelineExecution{pollExec(2, running, "", ""), pollExec(1, done, c1, "")},
			seenRevision{pending: true}},
		{"finished ones without a revision are skipped", []*model.PipelineExecution{pollExec(3, model.ExecStopped, "", ""), pollExec(2, failed, "", ""), pollExec(1, done, "", c1)},
			seenRevision{revision: c1}},
		{"no execution took a revision", []*model.PipelineExecution{pollExec(1, model.ExecSuperseded, "", "")}, seenRevision{}},
		{"a newer execution that recorded the head", []*model.PipelineExecution{pollExec(2, running, "", c2), pollExec(1, done, c1, c1)}, seenRevision{revision: c2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := lastSeen(tt.execs, "Checkout"); got != tt.want {
				t.Fatalf("lastSeen = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// fakeDetector is a CodeStarSourceConnection provider whose branch heads
// are set by the test, by FullRepositoryId and BranchName.
type fakeDetector struct {
	mu    sync.Mutex
	heads map[string]string // "repo branch" → commit
	fail  error
	calls int
}

func (f *fakeDetector) Start(context.Context, Job) (Progress, error) {
	return Progress{}, errors.New("not run in these tests")
}
func (f *fakeDetector) Poll(context.Context, Job) (Progress, error) {
	return Progress{}, errors.New("not run in these tests")
}

func (f *fakeDetector) Head(_ context.Context, config map[string]string) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return "", "", f.fail
	}
	where := config["FullRepositoryId"] + " refs/heads/" + config["BranchName"]
	return f.heads[config["FullRepositoryId"]+" "+config["BranchName"]], where, nil
}

func (f *fakeDetector) set(repoBranch, commit string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heads[repoBranch] = commit
}

const codeStarKey = "Source/AWS/CodeStarSourceConnection"

func connSource(name, repo, branch string, extra ...string) model.PipelineAction {
	a := model.PipelineAction{Name: name, Category: "Source", Owner: "AWS", Provider: "CodeStarSourceConnection", Version: "1",
		Configuration:   map[string]string{"ConnectionArn": "arn:local:conn/x", "FullRepositoryId": repo, "BranchName": branch},
		OutputArtifacts: []string{name + "Out"}}
	for i := 0; i+1 < len(extra); i += 2 {
		a.Configuration[extra[i]] = extra[i+1]
	}
	return a
}

func pollPipeline(name string, sources ...model.PipelineAction) *model.Pipeline {
	return &model.Pipeline{Name: name, Version: 1, PipelineType: "V1", ExecutionMode: model.ModeSuperseded,
		ArtifactStore: model.ArtifactStore{Type: "S3", Location: "artifacts"},
		Stages: []model.PipelineStage{
			{Name: "Source", Actions: sources},
			{Name: "Build", Actions: []model.PipelineAction{{Name: "Build", Category: "Build", Owner: "AWS", Provider: "CodeBuild", Version: "1",
				Configuration: map[string]string{"ProjectName": "p"}, InputArtifacts: []string{sources[0].Name + "Out"}}}},
		}}
}

func TestPollTargets(t *testing.T) {
	det := &fakeDetector{}
	detector := func(a model.PipelineAction) ChangeDetector {
		if ProviderKey(a.Category, a.Owner, a.Provider) == codeStarKey {
			return det
		}
		return nil
	}
	codeCommit := model.PipelineAction{Name: "CC", Category: "Source", Owner: "AWS", Provider: "CodeCommit", Version: "1",
		Configuration: map[string]string{"RepositoryName": "r", "BranchName": "main"}, OutputArtifacts: []string{"CCOut"}}
	branches := func(action string, includes, excludes []string) model.PipelineTrigger {
		return model.PipelineTrigger{ProviderType: "CodeStarSourceConnection", SourceActionName: action,
			Push: []model.PushFilter{{Branches: &model.IncludeExclude{Includes: includes, Excludes: excludes}}}}
	}
	v2 := func(p *model.Pipeline, triggers ...model.PipelineTrigger) *model.Pipeline {
		p.PipelineType, p.Triggers = "V2", triggers
		return p
	}
	for _, tt := range []struct {
		name string
		p    *model.Pipeline
		want []string // action:branch
	}{
		{"DetectChanges defaults to true", pollPipeline("p", connSource("A", "u", "main")), []string{"A:main"}},
		{"DetectChanges true", pollPipeline("p", connSource("A", "u", "main", "DetectChanges", "true")), []string{"A:main"}},
		{"DetectChanges false", pollPipeline("p", connSource("A", "u", "main", "DetectChanges", "false")), nil},
		{"only providers that detect changes", pollPipeline("p", codeCommit, connSource("B", "u", "dev")), []string{"B:dev"}},
		{"every polled source", pollPipeline("p", connSource("A", "u", "main"), connSource("B", "v", "dev")), []string{"A:main", "B:dev"}},
		{"variables take their defaults", func() *model.Pipeline {
			p := pollPipeline("p", connSource("A", "u", "#{variables.BRANCH}"))
			p.Variables = []model.PipelineVariable{{Name: "BRANCH", DefaultValue: "release"}}
			return p
		}(), []string{"A:release"}},
		{"an unresolvable reference is not polled", pollPipeline("p", connSource("A", "u", "#{codepipeline.PipelineExecutionId}")), nil},
		{"a trigger whose branch filter matches", v2(pollPipeline("p", connSource("A", "u", "main")), branches("A", []string{"ma*"}, nil)), []string{"A:main"}},
		{"triggers replace DetectChanges", v2(pollPipeline("p", connSource("A", "u", "main", "DetectChanges", "false")), branches("A", []string{"main"}, nil)),
			[]string{"A:main"}},
		{"a trigger that excludes the branch", v2(pollPipeline("p", connSource("A", "u", "main")), branches("A", nil, []string{"main"})), nil},
		{"a trigger with a non-matching branch", v2(pollPipeline("p", connSource("A", "u", "main")), branches("A", []string{"release/*"}, nil)), nil},
		{"a tag trigger never matches a branch head", v2(pollPipeline("p", connSource("A", "u", "main")), model.PipelineTrigger{SourceActionName: "A",
			Push: []model.PushFilter{{Tags: &model.IncludeExclude{Includes: []string{"*"}}}}}), nil},
		{"a trigger without filters", v2(pollPipeline("p", connSource("A", "u", "main")), model.PipelineTrigger{SourceActionName: "A"}), nil},
		{"only actions a trigger names", v2(pollPipeline("p", connSource("A", "u", "main"), connSource("B", "v", "main")), branches("B", []string{"main"}, nil)),
			[]string{"B:main"}},
		{"file path filters are not applied", v2(pollPipeline("p", connSource("A", "u", "main")), model.PipelineTrigger{SourceActionName: "A",
			Push: []model.PushFilter{{Branches: &model.IncludeExclude{Includes: []string{"main"}}, FilePaths: &model.IncludeExclude{Excludes: []string{"**"}}}}}),
			[]string{"A:main"}},
		{"no stages", &model.Pipeline{Name: "p"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, pt := range pollTargets(tt.p, detector) {
				got = append(got, pt.action.Name+":"+pt.config["BranchName"])
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("polled %v, want %v", got, tt.want)
			}
		})
	}
}

// pollEnv is a state on embedded etcd whose clock moves one second per
// reading (so executions sort by start), and the fake detector.
type pollEnv struct {
	t       *testing.T
	dir     string
	st      *state.State
	stop    func()
	det     *fakeDetector
	clockMu sync.Mutex
	now     time.Time
}

func newPollEnv(t *testing.T) *pollEnv {
	e := &pollEnv{t: t, dir: t.TempDir(), det: &fakeDetector{heads: map[string]string{}}, now: t0}
	e.open()
	t.Cleanup(func() { e.stop() })
	return e
}

// open starts (or restarts) the store and the state over the same data
// directory, as a server restart does.
func (e *pollEnv) open() {
	e.t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	kv, err := store.Open(ctx, store.Config{DataDir: e.dir, Logger: logger})
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	e.stop = func() { cancel(); _ = kv.Close() }
	st, err := state.New(ctx, state.Config{Store: kv, ARNs: arn.Builder{Region: "us-east-1", Account: "000000000000"}, Now: e.tick, Logger: logger})
	if err != nil {
		e.stop()
		e.t.Fatal(err)
	}
	e.st = st
}

func (e *pollEnv) tick() time.Time {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	e.now = e.now.Add(time.Second)
	return e.now
}

func (e *pollEnv) engine() *Engine {
	return &Engine{State: e.st, Providers: map[string]Provider{codeStarKey: e.det},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// executions returns the pipeline's executions, newest first, as
// "trigger:pins".
func (e *pollEnv) executions(name string) []string {
	var out []string
	for _, ex := range e.st.PipelineExecutions(name) {
		var pins []string
		for _, a := range []string{"A", "B"} {
			if r, ok := ex.SourceRevisions[a]; ok {
				pins = append(pins, a+"="+r[:1])
			}
		}
		out = append(out, ex.TriggerType+":"+strings.Join(pins, ","))
	}
	return out
}

func (e *pollEnv) want(name string, want ...string) {
	e.t.Helper()
	if got := e.executions(name); !slices.Equal(got, want) {
		e.t.Fatalf("executions of %s = %v, want %v", name, got, want)
	}
}

func TestPollSourcesStartsOneExecutionPerNewHead(t *testing.T) {
	e := newPollEnv(t)
	ctx := context.Background()
	if err := e.st.CreatePipeline(ctx, pollPipeline("web", connSource("A", "https://git.example.com/web.git", "main"))); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreatePipeline(ctx, pollPipeline("off", connSource("A", "https://git.example.com/web.git", "main", "DetectChanges", "false"))); err != nil {
		t.Fatal(err)
	}
	e.det.set("https://git.example.com/web.git main", c1)
	eng := e.engine()

	// A pipeline without executions starts for the head, once.
	eng.PollSources(ctx)
	e.want("web", "PollForSourceChanges:A=1")
	e.want("off")
	ex := e.st.PipelineExecutions("web")[0]
	if ex.TriggerDetail != "https://git.example.com/web.git refs/heads/main "+c1 || !ex.Waiting || ex.Stage != 0 {
		t.Fatalf("execution %+v", ex)
	}
	eng.PollSources(ctx)
	e.want("web", "PollForSourceChanges:A=1")
	if e.det.calls != 2 {
		t.Fatalf("%d head lookups for two polls of one source", e.det.calls)
	}

	// The branch moves: one more.
	e.det.set("https://git.example.com/web.git main", c2)
	eng.PollSources(ctx)
	eng.PollSources(ctx)
	e.want("web", "PollForSourceChanges:A=2", "PollForSourceChanges:A=1")

	// A fresh engine over the same state starts nothing for a seen head.
	e.engine().PollSources(ctx)
	e.want("web", "PollForSourceChanges:A=2", "PollForSourceChanges:A=1")

	// Nor does a restarted server: store, state and engine.
	e.stop()
	e.open()
	e.engine().PollSources(ctx)
	e.want("web", "PollForSourceChanges:A=2", "PollForSourceChanges:A=1")

	// A failing lookup starts nothing and is retried at the next poll.
	e.det.set("https://git.example.com/web.git main", c3)
	e.det.fail = errors.New("connection refused")
	eng = e.engine()
	eng.PollSources(ctx)
	e.want("web", "PollForSourceChanges:A=2", "PollForSourceChanges:A=1")
	e.det.fail = nil
	eng.PollSources(ctx)
	e.want("web", "PollForSourceChanges:A=3", "PollForSourceChanges:A=2", "PollForSourceChanges:A=1")
}

func TestPollSourcesWaitsForAnUnpinnedExecution(t *testing.T) {
	e := newPollEnv(t)
	ctx := context.Background()
	p := pollPipeline("web", connSource("A", "https://git.example.com/web.git", "main"), connSource("B", "file:///srv/lib", "dev"))
	if err := e.st.CreatePipeline(ctx, p); err != nil {
		t.Fatal(err)
	}
	e.det.set("https://git.example.com/web.git main", c1)
	e.det.set("file:///srv/lib dev", c1)
	eng := e.engine()

	// CreatePipeline's execution takes the heads when its source runs: the
	// poll leaves it alone, before and after that.
	created, err := eng.Start(ctx, "web", StartOptions{TriggerType: "CreatePipeline"})
	if err != nil {
		t.Fatal(err)
	}
	eng.PollSources(ctx)
	e.want("web", "CreatePipeline:")
	_, err = e.st.UpdatePipelineExecution(ctx, "web", created.ID, func(ex *model.PipelineExecution) error {
		ex.Status, ex.Waiting = model.ExecSucceeded, false
		ex.Stages[0].Actions = []model.ActionExecution{
			{Name: "A", Status: model.ActionSucceeded, Revision: c1}, {Name: "B", Status: model.ActionSucceeded, Revision: c1}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	eng.PollSources(ctx)
	e.want("web", "CreatePipeline:")

	// One source moves: one execution, pinning every polled source.
	e.det.set("file:///srv/lib dev", c2)
	eng.PollSources(ctx)
	e.want("web", "PollForSourceChanges:A=1,B=2", "CreatePipeline:")
	if got := e.st.PipelineExecutions("web")[0].TriggerDetail; got != "file:///srv/lib refs/heads/dev "+c2 {
		t.Fatalf("trigger detail %q", got)
	}
}
