package codecommit_test

import (
	"archive/zip"
	"context"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/internal/artifacts"
	"github.com/wharfhq/wharf/internal/gitrepo"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
	"github.com/wharfhq/wharf/internal/pipeline/providers/codecommit"
)

// env is a git store served over HTTP on loopback, an artifact store, the
// provider over both, and a work tree cloned from repository "app".
type env struct {
	git       *gitrepo.Store
	artifacts *artifacts.Store
	provider  *codecommit.Provider
	url       string
	home      string
	work      string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	e := &env{git: gitrepo.New(filepath.Join(t.TempDir(), "git")), home: t.TempDir()}
	store, err := artifacts.Open(filepath.Join(t.TempDir(), "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	e.artifacts = store
	e.provider = codecommit.New(e.git, store)
	srv := httptest.NewServer(e.git.Handler(gitrepo.HandlerOptions{}))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	if _, err := e.git.Create(context.Background(), "app", ""); err != nil {
		t.Fatal(err)
	}
	e.work = filepath.Join(t.TempDir(), "work")
	e.run(t, "", nil, "clone", "--quiet", e.url+"/git/app", e.work)
	return e
}

// run runs the git client with an isolated configuration and extra
// environment, and returns its trimmed output.
func (e *env) run(t *testing.T, dir string, extra []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + e.home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Grace Hopper", "GIT_COMMITTER_EMAIL=grace@example.com",
	}, extra...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files (path → content; "" deletes) into the work tree,
// commits them with the given dates, pushes to main and returns the id.
func (e *env) commit(t *testing.T, files map[string]string, message, authorDate, committerDate string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(e.work, filepath.FromSlash(name))
		if content == "" {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.run(t, e.work, nil, "add", "--all")
	e.run(t, e.work, []string{"GIT_AUTHOR_DATE=" + authorDate, "GIT_COMMITTER_DATE=" + committerDate}, "commit", "--quiet", "-m", message)
	e.run(t, e.work, nil, "push", "--quiet", "origin", "HEAD:main")
	return e.run(t, e.work, nil, "rev-parse", "HEAD")
}

func job(config map[string]string, pinned string) pipeline.Job {
	ex := &model.PipelineExecution{ID: "exec-1", Pipeline: "shop"}
	if pinned != "" {
		ex.SourceRevisions = map[string]string{"Source": pinned}
	}
	return pipeline.Job{
		Exec:   ex,
		Stage:  "Source",
		Action: model.PipelineAction{Name: "Source", Category: "Source", Owner: "AWS", Provider: "CodeCommit", OutputArtifacts: []string{"SourceOutput"}},
		Config: config, Run: model.ActionExecution{Name: "Source", ID: "run-1"},
		ArtifactPrefix: "wharf-pipelines/shop/exec-1",
	}
}

func appConfig() map[string]string {
	return map[string]string{"RepositoryName": "app", "BranchName": "main"}
}

// zipContents reads every file of the zip stored under key.
func zipContents(t *testing.T, store *artifacts.Store, key string) map[string]string {
	t.Helper()
	p, err := store.Path(key)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatalf("artifact %s is not a zip: %v", key, err)
	}
	defer zr.Close()
	out := map[string]string{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(data)
	}
	return out
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

func TestStartArchivesThePinnedCommit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.commit(t, map[string]string{"README.md": "one\n", "src/main.go": "package main\n", "buildspec.yml": "version: 0.2\n"},
		"Add the service\n\nWith a longer body.\n", "2026-11-26T11:00:00+01:00", "2026-11-26T12:30:00+01:00")
	head := e.commit(t, map[string]string{"README.md": "two\n", "CHANGELOG": "new\n", "buildspec.yml": ""},
		"Second commit", "2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z")

	prog, err := e.provider.Start(ctx, job(appConfig(), first))
	wantSucceeded(t, prog, err)
	key := "wharf-pipelines/shop/exec-1/SourceOutput.zip"
	if want := []model.ArtifactRef{{Name: "SourceOutput", Key: key}}; !slices.Equal(prog.OutputArtifacts, want) {
		t.Fatalf("output artifacts = %+v, want %+v", prog.OutputArtifacts, want)
	}
	got := zipContents(t, e.artifacts, key)
	want := map[string]string{"README.md": "one\n", "src/main.go": "package main\n", "buildspec.yml": "version: 0.2\n"}
	if !maps.Equal(got, want) {
		t.Fatalf("zip of the pinned commit = %v, want %v (not the head %s)", got, want, head)
	}
	wantVars := map[string]string{
		"AuthorDate":     "2026-11-26T10:00:00Z",
		"BranchName":     "main",
		"CommitId":       first,
		"CommitMessage":  "Add the service\n\nWith a longer body.",
		"CommitterDate":  "2026-11-26T11:30:00Z",
		"RepositoryName": "app",
	}
	if !maps.Equal(prog.OutputVariables, wantVars) {
		t.Fatalf("output variables = %v, want %v", prog.OutputVariables, wantVars)
	}
	if prog.Revision != first || prog.ExternalID != first || prog.RevisionSummary != "Add the service\n\nWith a longer body." {
		t.Fatalf("revision = %q %q %q", prog.Revision, prog.ExternalID, prog.RevisionSummary)
	}
	if prog.ExternalURL != "" {
		t.Fatalf("external URL without BaseURL = %q", prog.ExternalURL)
	}

	// Poll answers the same (it re-reads the pinned revision).
	again, err := e.provider.Poll(ctx, job(appConfig(), first))
	wantSucceeded(t, again, err)
	if again.Revision != first || !maps.Equal(zipContents(t, e.artifacts, key), want) {
		t.Fatalf("poll = %+v", again)
	}
}

func TestStartTakesTheBranchHeadWhenNothingIsPinned(t *testing.T) {
	e := newEnv(t)
	e.provider.BaseURL = "http://wharf.local:8080/"
	e.commit(t, map[string]string{"a.txt": "a1"}, "first", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
	head := e.commit(t, map[string]string{"a.txt": "a2", "dir/b.txt": "b"}, "second", "2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z")

	config := appConfig()
	config["OutputArtifactFormat"] = "CODEBUILD_CLONE_REF" // the same zip (see doc.go)
	prog, err := e.provider.Start(context.Background(), job(config, ""))
	wantSucceeded(t, prog, err)
	if prog.Revision != head || prog.OutputVariables["CommitId"] != head || prog.RevisionSummary != "second" {
		t.Fatalf("progress = %+v, want head %s", prog, head)
	}
	if got, want := zipContents(t, e.artifacts, prog.OutputArtifacts[0].Key), map[string]string{"a.txt": "a2", "dir/b.txt": "b"}; !maps.Equal(got, want) {
		t.Fatalf("zip = %v, want %v", got, want)
	}
	if prog.ExternalURL != "http://wharf.local:8080/git/app" {
		t.Fatalf("external URL = %q", prog.ExternalURL)
	}

	// A run that recorded its revision keeps it when the branch moves on.
	j := job(config, "")
	j.Run.Revision = head
	e.commit(t, map[string]string{"a.txt": "a3"}, "third", "2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z")
	prog, err = e.provider.Poll(context.Background(), j)
	wantSucceeded(t, prog, err)
	if prog.Revision != head {
		t.Fatalf("poll revision = %s, want the recorded %s", prog.Revision, head)
	}
}

func TestStartFailures(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.commit(t, map[string]string{"a.txt": "a"}, "first", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
	with := func(k, v string) map[string]string {
		c := appConfig()
		c[k] = v
		return c
	}
	for _, tc := range []struct {
		name    string
		job     pipeline.Job
		code    string
		message string
	}{
		{"missing repository", job(with("RepositoryName", "nope"), ""), pipeline.ErrConfigurationError, "The repository nope does not exist"},
		{"missing branch", job(with("BranchName", "dev"), ""), pipeline.ErrConfigurationError, "branch dev not found in repository app"},
		{"invalid repository name", job(with("RepositoryName", "a b"), ""), pipeline.ErrConfigurationError, "repositoryName"},
		{"no repository name", job(with("RepositoryName", ""), ""), pipeline.ErrConfigurationError, "no RepositoryName"},
		{"no branch name", job(with("BranchName", ""), ""), pipeline.ErrConfigurationError, "no BranchName"},
		{"bad format", job(with("OutputArtifactFormat", "TARBALL"), ""), pipeline.ErrConfigurationError, `OutputArtifactFormat "TARBALL"`},
		{"unknown pinned commit", job(appConfig(), strings.Repeat("ab", 20)), pipeline.ErrJobFailed, "commit " + strings.Repeat("ab", 20) + " not found in repository app"},
		{"malformed pinned commit", job(appConfig(), "main"), pipeline.ErrJobFailed, "commit main not found in repository app"},
		{"no output artifact", func() pipeline.Job { j := job(appConfig(), ""); j.Action.OutputArtifacts = nil; return j }(),
			pipeline.ErrConfigurationError, "exactly one output artifact"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := e.provider.Start(ctx, tc.job)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if !prog.Done || prog.Status != model.ActionFailed || prog.ErrorCode != tc.code || !strings.Contains(prog.ErrorMessage, tc.message) {
				t.Fatalf("progress = %+v, want %s failure mentioning %q", prog, tc.code, tc.message)
			}
			if _, err := e.artifacts.Open(tc.job.ArtifactPrefix + "/SourceOutput.zip"); err == nil {
				t.Fatalf("a failed action stored its artifact")
			}
		})
	}
}

func TestStartOnEmptyRepository(t *testing.T) {
	e := newEnv(t)
	prog, err := e.provider.Start(context.Background(), job(appConfig(), ""))
	if err != nil || prog.Status != model.ActionFailed || prog.ErrorMessage != "branch main not found in repository app" {
		t.Fatalf("progress = %+v, err %v", prog, err)
	}
}

func TestArchiveFailureStoresNothing(t *testing.T) {
	e := newEnv(t)
	e.commit(t, map[string]string{"a.txt": "a"}, "first", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
	// A git that prints a partial zip and then fails.
	fake := filepath.Join(t.TempDir(), "git")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nprintf 'PK\\003\\004partial'\necho 'fatal: disk on fire' >&2\nexit 128\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.provider.Git = fake
	_, err := e.provider.Start(context.Background(), job(appConfig(), ""))
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Start err = %v, want the git failure", err)
	}
	if _, err := e.artifacts.Open("wharf-pipelines/shop/exec-1/SourceOutput.zip"); err == nil {
		t.Fatalf("a truncated artifact was stored")
	}
}
