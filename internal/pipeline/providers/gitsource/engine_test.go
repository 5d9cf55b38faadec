package gitsource_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/store"
)

// build is a Build action that succeeds at once, noting the artifacts it
// was given.
type build struct {
	mu     sync.Mutex
	inputs [][]model.ArtifactRef
}

func (b *build) Start(_ context.Context, job pipeline.Job) (pipeline.Progress, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inputs = append(b.inputs, job.Inputs)
	return pipeline.Progress{Done: true, Status: model.ActionSucceeded}, nil
}

func (b *build) Poll(ctx context.Context, job pipeline.Job) (pipeline.Progress, error) {
	return b.Start(ctx, job)
}

// TestPollingEndToEnd runs the engine with source polling over a real
// state: each new commit on the branch starts one execution, which takes
// that commit, and a restarted engine starts nothing for a seen head.
func TestPollingEndToEnd(t *testing.T) {
	r := newRepo(t)
	first := r.commit(t, "main", map[string]string{"README.md": "one\n"}, "first", "2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z")
	p, arts := newProvider(t)
	st := newState(t)
	ctx := context.Background()
	b := &build{}
	engine := func() *pipeline.Engine {
		return &pipeline.Engine{State: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Providers: map[string]pipeline.Provider{
			pipeline.ProviderKey("Source", "AWS", "CodeStarSourceConnection"): p,
			pipeline.ProviderKey("Build", "AWS", "CodeBuild"):                 b,
		}}
	}
	url := "file://" + r.bare
	err := st.CreatePipeline(ctx, &model.Pipeline{Name: "web", Version: 1, PipelineType: "V1", ExecutionMode: model.ModeSuperseded,
		ArtifactStore: model.ArtifactStore{Type: "S3", Location: "artifacts"},
		Stages: []model.PipelineStage{
			{Name: "Source", Actions: []model.PipelineAction{{Name: "Checkout", Category: "Source", Owner: "AWS", Provider: "CodeStarSourceConnection",
				Version: "1", Namespace: "SourceVariables", Configuration: config(url, "main"), OutputArtifacts: []string{"Src"}}}},
			{Name: "Build", Actions: []model.PipelineAction{{Name: "Image", Category: "Build", Owner: "AWS", Provider: "CodeBuild", Version: "1",
				Configuration: map[string]string{"ProjectName": "web"}, InputArtifacts: []string{"Src"}}}},
		}})
	if err != nil {
		t.Fatal(err)
	}

	// runAll ticks the engine until every execution has finished.
	runAll := func(e *pipeline.Engine) {
		t.Helper()
		for range 50 {
			e.Tick(ctx)
			done := true
			for _, ex := range st.PipelineExecutions("web") {
				done = done && model.ExecTerminal(ex.Status)
			}
			if done {
				return
			}
		}
		t.Fatalf("executions did not finish: %+v", st.PipelineExecutions("web"))
	}
	// history describes the executions, newest first: status, trigger and
	// the commit the source action took.
	history := func() []string {
		var out []string
		for _, ex := range st.PipelineExecutions("web") {
			rev := ""
			if len(ex.Stages[0].Actions) > 0 {
				rev = ex.Stages[0].Actions[0].Revision
			}
			out = append(out, ex.Status+" "+ex.TriggerType+" "+rev)
		}
		return out
	}
	want := func(w ...string) {
		t.Helper()
		if got := history(); !slices.Equal(got, w) {
			t.Fatalf("executions = %q\nwant %q", got, w)
		}
	}

	e := engine()
	e.PollSources(ctx)
	runAll(e)
	want("Succeeded PollForSourceChanges " + first)
	ex := st.PipelineExecutions("web")[0]
	run := ex.Stages[0].Actions[0]
	if run.OutputVariables["CommitId"] != first || ex.TriggerDetail != url+" refs/heads/main "+first {
		t.Fatalf("execution %+v", ex)
	}
	if _, err := arts.Open(run.OutputArtifacts[0].Key); err != nil || len(b.inputs) != 1 || !slices.Equal(b.inputs[0], run.OutputArtifacts) {
		t.Fatalf("artifact %+v (%v) handed to the build as %+v", run.OutputArtifacts, err, b.inputs)
	}
	e.PollSources(ctx)
	want("Succeeded PollForSourceChanges " + first)

	second := r.commit(t, "main", map[string]string{"README.md": "two\n"}, "second", "2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z")
	e.PollSources(ctx)
	// The branch moves on before the execution runs: it keeps its commit.
	third := r.commit(t, "main", map[string]string{"README.md": "three\n"}, "third", "2026-11-28T10:00:00Z", "2026-11-28T10:00:00Z")
	runAll(e)
	want("Succeeded PollForSourceChanges "+second, "Succeeded PollForSourceChanges "+first)

	// A restarted engine sees the third commit once.
	e = engine()
	e.PollSources(ctx)
	e.PollSources(ctx)
	runAll(e)
	want("Succeeded PollForSourceChanges "+third, "Succeeded PollForSourceChanges "+second, "Succeeded PollForSourceChanges "+first)
	e = engine()
	e.PollSources(ctx)
	if n := len(st.PipelineExecutions("web")); n != 3 {
		t.Fatalf("%d executions after a restart with nothing new", n)
	}

	// RunSourcePolling is PollSources on a timer.
	fourth := r.commit(t, "main", map[string]string{"README.md": "four\n"}, "fourth", "2026-11-29T10:00:00Z", "2026-11-29T10:00:00Z")
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.RunSourcePolling(pctx, time.Hour) }() // polls once at once
	deadline := time.Now().Add(10 * time.Second)
	for len(st.PipelineExecutions("web")) < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ex := st.PipelineExecutions("web")[0]; ex.SourceRevisions["Checkout"] != fourth {
		t.Fatalf("RunSourcePolling started %+v, want one pinned to %s", ex, fourth)
	}
}

// newState is a state over embedded etcd whose clock moves a second per
// reading, so that executions sort by start.
func newState(t *testing.T) *state.State {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	kv, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), Logger: logger})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = kv.Close() })
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	st, err := state.New(ctx, state.Config{Store: kv, ARNs: arn.Builder{Region: "us-east-1", Account: "000000000000"}, Now: clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return st
}
