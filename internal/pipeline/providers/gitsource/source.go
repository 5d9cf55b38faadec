package gitsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/wharfhq/wharf/internal/artifacts"
	"github.com/wharfhq/wharf/internal/build/source"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
)

// Output artifact formats (OutputArtifactFormat).
const (
	FormatCodeZip  = "CODE_ZIP"
	FormatCloneRef = "CODEBUILD_CLONE_REF"
)

// Limits of what the action reports, as CodePipeline's.
const (
	maxCommitMessage   = 100 << 10 // CommitMessage output variable
	maxRevisionSummary = 2048
)

// Provider runs CodeStarSourceConnection source actions against git
// repositories reached by URL.
type Provider struct {
	artifacts *artifacts.Store

	// WorkDir is where each action fetches its commit, in a temporary
	// directory removed when it ends; "" is the system's temp directory.
	WorkDir string
	// CacheDir, when set, keeps a bare mirror of each remote repository
	// there (internal/build/source's cache), so that an action fetches
	// only the commits it lacks.
	CacheDir string
}

var (
	_ pipeline.Provider       = (*Provider)(nil)
	_ pipeline.ChangeDetector = (*Provider)(nil)
)

// New returns the provider, writing its output artifacts to store.
func New(store *artifacts.Store) *Provider {
	return &Provider{artifacts: store}
}

// settings is an action's checked configuration.
type settings struct {
	loc    location
	branch string
}

// configure checks the keys Start and Head need. A failed Progress is
// returned for what the user must fix.
func configure(config map[string]string) (settings, *pipeline.Progress) {
	id, branch := config["FullRepositoryId"], strings.TrimPrefix(config["BranchName"], "refs/heads/")
	switch {
	case id == "":
		return settings{}, failed(pipeline.ErrConfigurationError, "the action configuration has no FullRepositoryId")
	case branch == "":
		return settings{}, failed(pipeline.ErrConfigurationError, "the action configuration has no BranchName")
	}
	loc, err := parseLocation(id)
	if err != nil {
		return settings{}, failed(pipeline.ErrConfigurationError, err.Error())
	}
	return settings{loc: loc, branch: branch}, nil
}

// Head reads the head of the action's branch (pipeline.ChangeDetector).
func (p *Provider) Head(ctx context.Context, config map[string]string) (revision, where string, err error) {
	s, bad := configure(config)
	if bad != nil {
		return "", "", errors.New(bad.ErrorMessage)
	}
	where = s.loc.display + " refs/heads/" + s.branch
	revision, err = branchHead(ctx, s.loc, s.branch)
	return revision, where, err
}

// Start resolves the action's revision, stores the zip of its tree and
// reports the action done.
func (p *Provider) Start(ctx context.Context, job pipeline.Job) (pipeline.Progress, error) {
	s, bad := configure(job.Config)
	if bad != nil {
		return *bad, nil
	}
	switch f := job.Config["OutputArtifactFormat"]; f {
	case "", FormatCodeZip, FormatCloneRef:
	default:
		return *failed(pipeline.ErrConfigurationError, fmt.Sprintf("OutputArtifactFormat %q is not one of %s, %s", f, FormatCodeZip, FormatCloneRef)), nil
	}
	if n := len(job.Action.OutputArtifacts); n != 1 {
		return *failed(pipeline.ErrConfigurationError,
			fmt.Sprintf("a CodeStarSourceConnection source action needs exactly one output artifact, it declares %d", n)), nil
	}

	commitID := revision(job)
	if commitID == "" {
		head, err := branchHead(ctx, s.loc, s.branch)
		if err != nil {
			if ctx.Err() != nil {
				return pipeline.Progress{}, err
			}
			return *failed(pipeline.ErrConfigurationError, err.Error()), nil
		}
		commitID = head
	}

	work, err := os.MkdirTemp(p.WorkDir, "wharf-gitsource-")
	if err != nil {
		return pipeline.Progress{}, err
	}
	defer os.RemoveAll(work)
	dest := filepath.Join(work, "src")
	res, err := source.Fetch(ctx, source.Spec{
		Type:          source.TypeGitHub, // any git type: the location decides how it is fetched
		Location:      s.loc.url,
		Version:       commitID,
		GitCloneDepth: 1, // source.Fetch deepens when the commit is not a branch tip
	}, dest, source.Options{CacheDir: p.CacheDir})
	if err != nil {
		if ctx.Err() != nil {
			return pipeline.Progress{}, err
		}
		return *fetchFailure(s.loc, commitID, err), nil
	}
	repo, err := git.PlainOpen(dest)
	if err != nil {
		return pipeline.Progress{}, err
	}
	c, err := repo.CommitObject(plumbing.NewHash(res.ResolvedVersion))
	if err != nil {
		return pipeline.Progress{}, fmt.Errorf("reading commit %s of %s: %w", res.ResolvedVersion, s.loc.display, err)
	}

	name := job.Action.OutputArtifacts[0]
	key := path.Join(job.ArtifactPrefix, name+".zip")
	if err := p.store(key, c); err != nil {
		return pipeline.Progress{}, fmt.Errorf("storing %s at %s: %w", s.loc.display, c.Hash, err)
	}

	message := strings.TrimRight(c.Message, "\r\n\t ")
	summary := pipeline.Truncate(message, maxRevisionSummary)
	prog := pipeline.Progress{
		Done:            true,
		Status:          model.ActionSucceeded,
		Summary:         summary,
		ExternalID:      c.Hash.String(),
		Revision:        c.Hash.String(),
		RevisionSummary: summary,
		OutputArtifacts: []model.ArtifactRef{{Name: name, Key: key}},
		OutputVariables: map[string]string{
			"AuthorDate":         pipeline.CommitDate(c.Author.When),
			"BranchName":         s.branch,
			"CommitId":           c.Hash.String(),
			"CommitMessage":      pipeline.Truncate(message, maxCommitMessage),
			"ConnectionArn":      job.Config["ConnectionArn"],
			"FullRepositoryName": s.loc.display,
		},
	}
	if s.loc.local == "" {
		prog.ExternalURL = s.loc.display
	}
	return prog, nil
}

// Poll does what Start does: the action is done when Start returns, so
// Poll only runs if the engine lost Start's result. The revision recorded
// for the run (or pinned by the execution) keeps the answer the same.
func (p *Provider) Poll(ctx context.Context, job pipeline.Job) (pipeline.Progress, error) {
	return p.Start(ctx, job)
}

// revision is the commit the action must use, if already decided: the one
// the execution pinned for it, else the one an earlier Start recorded.
func revision(job pipeline.Job) string {
	if job.Exec != nil {
		if id := job.Exec.SourceRevisions[job.Action.Name]; id != "" {
			return id
		}
	}
	return job.Run.Revision
}

// fetchFailure explains why source.Fetch could not get the commit.
func fetchFailure(loc location, commitID string, err error) *pipeline.Progress {
	msg := loc.scrub(err.Error())
	switch {
	case errors.Is(err, source.ErrInvalidVersion):
		return failed(pipeline.ErrJobFailed, fmt.Sprintf("commit %s not found in %s: %s", commitID, loc.display, msg))
	case errors.Is(err, source.ErrNotFound), errors.Is(err, source.ErrUnsupported):
		return failed(pipeline.ErrConfigurationError, msg)
	}
	return failed(pipeline.ErrJobFailed, fmt.Sprintf("fetching %s from %s: %s", commitID, loc.display, msg))
}

// store streams the zip of c's tree into the artifact store under key.
// The store publishes the file only once the zip is complete: a failure
// closes the pipe with its error, so Put fails instead of keeping a
// truncated zip.
func (p *Provider) store(key string, c *object.Commit) error {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(writeZip(pw, c)) // nil closes with EOF
	}()
	_, err := p.artifacts.Put(key, pr)
	pr.CloseWithError(errors.New("the artifact store stopped reading")) // unblocks writeZip if Put failed early
	<-done
	return err
}

func failed(code, message string) *pipeline.Progress {
	return &pipeline.Progress{Done: true, Status: model.ActionFailed, ErrorCode: code, ErrorMessage: message}
}
