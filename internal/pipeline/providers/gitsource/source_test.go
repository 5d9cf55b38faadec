package gitsource_test

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/internal/artifacts"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
	"github.com/wharfhq/wharf/internal/pipeline/providers/gitsource"
)

const artifactKey = "wharf-pipelines/web/exec-1/SourceOutput.zip"

func newProvider(t *testing.T) (*gitsource.Provider, *artifacts.Store) {
	t.Helper()
	store, err := artifacts.Open(filepath.Join(t.TempDir(), "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	p := gitsource.New(store)
	p.WorkDir = t.TempDir()
	return p, store
}

func config(repo, branch string) map[string]string {
	return map[string]string{"ConnectionArn": "arn:local:conn/gitea", "FullRepositoryId": repo, "BranchName": branch}
}

func job(config map[string]string, pinned string) pipeline.Job {
	ex := &model.PipelineExecution{ID: "exec-1", Pipeline: "web"}
	if pinned != "" {
		ex.SourceRevisions = map[string]string{"Checkout": pinned}
	}
	return pipeline.Job{
		Exec:  ex,
		Stage: "Source",
		Action: model.PipelineAction{Name: "Checkout", Category: "Source", Owner: "AWS", Provider: "CodeStarSourceConnection", Version: "1",
			OutputArtifacts: []string{"SourceOutput"}},
		Config: config, Run: model.ActionExecution{Name: "Checkout", ID: "run-1"},
		ArtifactPrefix: "wharf-pipelines/web/exec-1",
	}
}

func wantSucceeded(t *testing.T, prog pipeline.Progress, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !prog.Done || prog.Status != model.ActionSucceeded {
		t.Fatalf("progress = %+v, want done and succeeded", prog)
	}
}

// twoCommits makes the fixture history of main: first (a README, an
// executable, a symlink to it, a nested file), then second (README
// changed, main.go deleted, CHANGELOG added).
func twoCommits(t *testing.T, r *repo) (first, second string) {
	first = r.commit(t, "main", map[string]string{
		"README.md": "one\n", "bin/run.sh": "#!/bin/sh\necho hi\n", "run": "link:bin/run.sh", "src/app/main.go": "package main\n",
	}, "Add the service\n\nWith a longer body.\n", "2026-11-26T11:00:00+01:00", "2026-11-26T12:30:00+01:00")
	second = r.commit(t, "main", map[string]string{"README.md": "two\n", "src/app/main.go": "", "CHANGELOG": "new\n"},
		"Second commit", "2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z")
	return first, second
}

// firstTree is the tree of twoCommits' first commit, as zip entries.
var firstTree = map[string]entry{
	"README.md":       {0o644, "one\n"},
	"bin/run.sh":      {0o755, "#!/bin/sh\necho hi\n"},
	"run":             {os.ModeSymlink | 0o777, "bin/run.sh"},
	"src/app/main.go": {0o644, "package main\n"},
}

func TestStartZipsThePinnedCommit(t *testing.T) {
	r := newRepo(t)
	first, second := twoCommits(t, r)
	p, store := newProvider(t)
	ctx := context.Background()
	url := "file://" + r.bare

	prog, err := p.Start(ctx, job(config(url, "main"), first))
	wantSucceeded(t, prog, err)
	if want := []model.ArtifactRef{{Name: "SourceOutput", Key: artifactKey}}; !slices.Equal(prog.OutputArtifacts, want) {
		t.Fatalf("output artifacts = %+v, want %+v", prog.OutputArtifacts, want)
	}
	names, got := readZip(t, store, artifactKey)
	if want := []string{"README.md", "bin/run.sh", "run", "src/app/main.go"}; !slices.Equal(names, want) {
		t.Fatalf("zip entries = %v, want %v (sorted, no .git, not the head %s)", names, want, second)
	}
	if !maps.Equal(got, firstTree) {
		t.Fatalf("zip = %v, want %v", got, firstTree)
	}
	wantVars := map[string]string{
		"AuthorDate":         "2026-11-26T10:00:00Z",
		"BranchName":         "main",
		"CommitId":           first,
		"CommitMessage":      "Add the service\n\nWith a longer body.",
		"ConnectionArn":      "arn:local:conn/gitea",
		"FullRepositoryName": url,
	}
	if !maps.Equal(prog.OutputVariables, wantVars) {
		t.Fatalf("output variables = %v, want %v", prog.OutputVariables, wantVars)
	}
	if prog.Revision != first || prog.ExternalID != first || prog.RevisionSummary != "Add the service\n\nWith a longer body." || prog.ExternalURL != "" {
		t.Fatalf("progress = %+v", prog)
	}

	// The same commit gives the same bytes, and Poll answers as Start.
	before, err := os.ReadFile(mustPath(t, store, artifactKey))
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Poll(ctx, job(config(url, "main"), first[:10]))
	wantSucceeded(t, again, err)
	after, err := os.ReadFile(mustPath(t, store, artifactKey))
	if err != nil {
		t.Fatal(err)
	}
	if again.Revision != first || string(before) != string(after) {
		t.Fatalf("a second zip of %s differs (revision %s)", first, again.Revision)
	}
	if entries, _ := os.ReadDir(p.WorkDir); len(entries) != 0 {
		t.Fatalf("work directory left behind: %v", entries)
	}
}

func mustPath(t *testing.T, store *artifacts.Store, key string) string {
	t.Helper()
	p, err := store.Path(key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStartTakesTheBranchHead(t *testing.T) {
	r := newRepo(t)
	_, second := twoCommits(t, r)
	dev := r.commit(t, "dev", map[string]string{"dev.txt": "dev\n"}, "on dev", "2026-11-28T00:00:00Z", "2026-11-28T00:00:00Z")
	p, store := newProvider(t)
	ctx := context.Background()

	// An absolute path to the bare repository; CODEBUILD_CLONE_REF gives
	// the same zip.
	c := config(r.bare, "main")
	c["OutputArtifactFormat"] = "CODEBUILD_CLONE_REF"
	prog, err := p.Start(ctx, job(c, ""))
	wantSucceeded(t, prog, err)
	if prog.Revision != second || prog.OutputVariables["CommitId"] != second || prog.RevisionSummary != "Second commit" {
		t.Fatalf("progress = %+v, want the head %s", prog, second)
	}
	_, got := readZip(t, store, artifactKey)
	want := map[string]entry{"README.md": {0o644, "two\n"}, "CHANGELOG": {0o644, "new\n"}, "bin/run.sh": firstTree["bin/run.sh"], "run": firstTree["run"]}
	if !maps.Equal(got, want) {
		t.Fatalf("zip = %v, want %v", got, want)
	}

	// Another branch, named as a ref, of a repository with a working tree.
	prog, err = p.Start(ctx, job(config(r.work, "refs/heads/dev"), ""))
	wantSucceeded(t, prog, err)
	if prog.Revision != dev || prog.OutputVariables["BranchName"] != "dev" {
		t.Fatalf("dev: progress = %+v, want %s", prog, dev)
	}

	// A run that recorded its revision keeps it when the branch moves on.
	j := job(config(r.bare, "main"), "")
	j.Run.Revision = second
	third := r.commit(t, "main", map[string]string{"README.md": "three\n"}, "third", "2026-11-29T00:00:00Z", "2026-11-29T00:00:00Z")
	prog, err = p.Poll(ctx, j)
	wantSucceeded(t, prog, err)
	if prog.Revision != second {
		t.Fatalf("poll revision = %s, want the recorded %s", prog.Revision, second)
	}

	// Head is what the engine polls.
	head, where, err := p.Head(ctx, config("file://"+r.bare, "main"))
	if err != nil || head != third || where != "file://"+r.bare+" refs/heads/main" {
		t.Fatalf("Head = %q %q %v, want %s", head, where, err, third)
	}
}

func TestStartOverHTTP(t *testing.T) {
	r := newRepo(t)
	first, second := twoCommits(t, r)
	url := r.serve(t, "ci", "s3cret-token")
	withCreds := strings.Replace(url, "http://", "http://ci:s3cret-token@", 1)
	p, store := newProvider(t)
	ctx := context.Background()

	// The head, shallow.
	prog, err := p.Start(ctx, job(config(withCreds, "main"), ""))
	wantSucceeded(t, prog, err)
	if prog.Revision != second || prog.OutputVariables["FullRepositoryName"] != url || prog.ExternalURL != url {
		t.Fatalf("progress = %+v, want %s from %s without credentials", prog, second, url)
	}
	// A pinned commit that is not the tip: source.Fetch deepens.
	prog, err = p.Start(ctx, job(config(withCreds, "main"), first))
	wantSucceeded(t, prog, err)
	if _, got := readZip(t, store, artifactKey); prog.Revision != first || !maps.Equal(got, firstTree) {
		t.Fatalf("pinned over http: revision %s, zip %v", prog.Revision, got)
	}

	// Through a cache of the repository, twice.
	p.CacheDir = t.TempDir()
	for _, pin := range []string{"", first} {
		prog, err = p.Start(ctx, job(config(withCreds, "main"), pin))
		wantSucceeded(t, prog, err)
		if want := map[string]string{"": second, first: first}[pin]; prog.Revision != want {
			t.Fatalf("through the cache, pinned %q: revision %s, want %s", pin, prog.Revision, want)
		}
	}
	if entries, _ := os.ReadDir(p.CacheDir); len(entries) == 0 {
		t.Fatalf("nothing cached")
	}
	p.CacheDir = ""

	head, where, err := p.Head(ctx, config(withCreds, "main"))
	if err != nil || head != second || where != url+" refs/heads/main" {
		t.Fatalf("Head = %q %q %v", head, where, err)
	}

	// Without credentials: a configuration error that says so.
	prog, err = p.Start(ctx, job(config(url, "main"), ""))
	if err != nil || prog.Status != model.ActionFailed || prog.ErrorCode != pipeline.ErrConfigurationError ||
		!strings.Contains(prog.ErrorMessage, "credentials") {
		t.Fatalf("without credentials: %+v, %v", prog, err)
	}
	// Wrong ones never show the password.
	bad := strings.Replace(url, "http://", "http://ci:wrong-token@", 1)
	prog, err = p.Start(ctx, job(config(bad, "main"), ""))
	if err != nil || prog.Status != model.ActionFailed || strings.Contains(prog.ErrorMessage, "wrong-token") {
		t.Fatalf("wrong credentials: %+v, %v", prog, err)
	}
	if _, _, err := p.Head(ctx, config(bad, "main")); err == nil || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("Head with wrong credentials: %v", err)
	}
}

func TestStartFailures(t *testing.T) {
	r := newRepo(t)
	twoCommits(t, r)
	empty := filepath.Join(t.TempDir(), "empty.git")
	r.git(t, r.root, "init", "--quiet", "--bare", empty)
	url := r.serve(t, "", "")
	closed := httptest.NewServer(http.NotFoundHandler())
	gone := closed.URL + "/git/app.git" // nobody listens there any more
	closed.Close()
	p, store := newProvider(t)
	file := "file://" + r.bare
	with := func(c map[string]string, k, v string) map[string]string {
		if v == "" {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	for _, tc := range []struct {
		name    string
		job     pipeline.Job
		code    string
		message string
	}{
		{"owner/repo", job(config("acme/web", "main"), ""), pipeline.ErrConfigurationError, `FullRepositoryId "acme/web" is not a git URL`},
		{"ssh URL", job(config("git@github.com:acme/web.git", "main"), ""), pipeline.ErrConfigurationError, "uses ssh"},
		{"relative path", job(config("srv/app.git", "main"), ""), pipeline.ErrConfigurationError, "must be the repository's URL"},
		{"missing branch", job(config(file, "release"), ""), pipeline.ErrConfigurationError, "branch release not found in " + file},
		{"missing branch over http", job(config(url, "release"), ""), pipeline.ErrConfigurationError, "branch release not found in " + url},
		{"missing repository", job(config(filepath.Join(r.root, "nope.git"), "main"), ""), pipeline.ErrConfigurationError, "nope.git is not a git repository"},
		{"missing repository over http", job(config(url+"-nope", "main"), ""), pipeline.ErrConfigurationError, "repository not found"},
		{"unreachable server", job(config(gone, "main"), ""), pipeline.ErrConfigurationError, "reading " + gone},
		{"empty repository", job(config(empty, "main"), ""), pipeline.ErrConfigurationError, "branch main not found"},
		{"unknown pinned commit", job(config(file, "main"), strings.Repeat("ab", 20)), pipeline.ErrJobFailed, "commit " + strings.Repeat("ab", 20) + " not found in " + file},
		{"no repository", job(with(config(file, "main"), "FullRepositoryId", ""), ""), pipeline.ErrConfigurationError, "no FullRepositoryId"},
		{"no branch", job(with(config(file, "main"), "BranchName", ""), ""), pipeline.ErrConfigurationError, "no BranchName"},
		{"bad format", job(with(config(file, "main"), "OutputArtifactFormat", "TAR"), ""), pipeline.ErrConfigurationError, `OutputArtifactFormat "TAR"`},
		{"no output artifact", func() pipeline.Job { j := job(config(file, "main"), ""); j.Action.OutputArtifacts = nil; return j }(),
			pipeline.ErrConfigurationError, "exactly one output artifact"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := p.Start(context.Background(), tc.job)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if !prog.Done || prog.Status != model.ActionFailed || prog.ErrorCode != tc.code || !strings.Contains(prog.ErrorMessage, tc.message) {
				t.Fatalf("progress = %+v, want %s failure mentioning %q", prog, tc.code, tc.message)
			}
			if _, err := store.Open(artifactKey); err == nil {
				t.Fatalf("a failed action stored its artifact")
			}
		})
	}
}
