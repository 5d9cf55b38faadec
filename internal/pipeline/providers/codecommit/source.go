package codecommit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/wharfhq/wharf/internal/artifacts"
	"github.com/wharfhq/wharf/internal/gitrepo"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
)

// Output artifact formats (OutputArtifactFormat).
const (
	FormatCodeZip      = "CODE_ZIP"
	FormatCloneRef     = "CODEBUILD_CLONE_REF"
	maxRevisionSummary = 2048
)

// Provider runs CodeCommit source actions.
type Provider struct {
	git       *gitrepo.Store
	artifacts *artifacts.Store

	// Git is the git executable (default "git" from PATH).
	Git string
	// BaseURL, when set (e.g. "http://127.0.0.1:8080"), makes the
	// action's external URL the repository's clone URL.
	BaseURL string
}

var _ pipeline.Provider = (*Provider)(nil)

// New returns the CodeCommit source provider reading repositories from git
// and writing its output artifacts to store.
func New(git *gitrepo.Store, store *artifacts.Store) *Provider {
	return &Provider{git: git, artifacts: store, Git: "git"}
}

// Start resolves the action's revision, stores the zip of its tree and
// reports the action done.
func (p *Provider) Start(ctx context.Context, job pipeline.Job) (pipeline.Progress, error) {
	repoName, branch := job.Config["RepositoryName"], job.Config["BranchName"]
	switch {
	case repoName == "":
		return failed(pipeline.ErrConfigurationError, "the action configuration has no RepositoryName"), nil
	case branch == "":
		return failed(pipeline.ErrConfigurationError, "the action configuration has no BranchName"), nil
	case len(job.Action.OutputArtifacts) != 1:
		return failed(pipeline.ErrConfigurationError,
			fmt.Sprintf("a CodeCommit source action needs exactly one output artifact, it declares %d", len(job.Action.OutputArtifacts))), nil
	}
	switch f := job.Config["OutputArtifactFormat"]; f {
	case "", FormatCodeZip, FormatCloneRef:
	default:
		return failed(pipeline.ErrConfigurationError,
			fmt.Sprintf("OutputArtifactFormat %q is not one of %s, %s", f, FormatCodeZip, FormatCloneRef)), nil
	}
	repo, err := p.git.Get(repoName)
	if prog, ok := repoFailure(err, repoName); ok {
		return prog, nil
	} else if err != nil {
		return pipeline.Progress{}, err
	}

	commitID := revision(job)
	if commitID == "" {
		b, err := p.git.Branch(ctx, repoName, branch)
		if errors.Is(err, gitrepo.ErrBranchNotFound) {
			return failed(pipeline.ErrConfigurationError, fmt.Sprintf("branch %s not found in repository %s", branch, repoName)), nil
		}
		if prog, ok := repoFailure(err, repoName); ok {
			return prog, nil
		} else if err != nil {
			return pipeline.Progress{}, err
		}
		commitID = b.CommitID
	}
	c, err := p.git.Commit(ctx, repoName, commitID)
	var inv *gitrepo.InvalidError
	switch {
	case errors.Is(err, gitrepo.ErrCommitNotFound), errors.As(err, &inv) && inv.Field == gitrepo.FieldCommitID:
		return failed(pipeline.ErrJobFailed, fmt.Sprintf("commit %s not found in repository %s", commitID, repoName)), nil
	}
	if prog, ok := repoFailure(err, repoName); ok {
		return prog, nil
	} else if err != nil {
		return pipeline.Progress{}, err
	}

	name := job.Action.OutputArtifacts[0]
	key := path.Join(job.ArtifactPrefix, name+".zip")
	if err := p.archive(ctx, filepath.Join(p.git.Root(), repoName+".git"), c.ID, key); err != nil {
		return pipeline.Progress{}, fmt.Errorf("archive %s at %s: %w", repoName, c.ID, err)
	}

	message := strings.TrimRight(c.Message, "\r\n\t ")
	summary := pipeline.Truncate(message, maxRevisionSummary)
	prog := pipeline.Progress{
		Done:            true,
		Status:          model.ActionSucceeded,
		Summary:         summary,
		ExternalID:      c.ID,
		Revision:        c.ID,
		RevisionSummary: summary,
		OutputArtifacts: []model.ArtifactRef{{Name: name, Key: key}},
		OutputVariables: map[string]string{
			"AuthorDate":     pipeline.CommitDate(c.Author.When),
			"BranchName":     branch,
			"CommitId":       c.ID,
			"CommitMessage":  message,
			"CommitterDate":  pipeline.CommitDate(c.Committer.When),
			"RepositoryName": repoName,
		},
	}
	if p.BaseURL != "" {
		prog.ExternalURL = strings.TrimRight(p.BaseURL, "/") + repo.ClonePath
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

// repoFailure turns the errors a user can fix into a failed action.
func repoFailure(err error, repoName string) (pipeline.Progress, bool) {
	var inv *gitrepo.InvalidError
	switch {
	case err == nil:
		return pipeline.Progress{}, false
	case errors.Is(err, gitrepo.ErrNotFound):
		return failed(pipeline.ErrConfigurationError, fmt.Sprintf("The repository %s does not exist", repoName)), true
	case errors.As(err, &inv):
		return failed(pipeline.ErrConfigurationError, inv.Error()), true
	}
	return pipeline.Progress{}, false
}

// archive streams `git archive --format=zip COMMIT` of the bare repository
// at gitDir into the artifact store under key. The store only publishes
// the file once git exited cleanly: a failing git closes the pipe with its
// error, so Put fails instead of keeping a truncated zip.
func (p *Provider) archive(ctx context.Context, gitDir, commitID, key string) error {
	cmd := exec.CommandContext(ctx, p.gitPath(), "--git-dir="+gitDir, "archive", "--format=zip", commitID)
	cmd.Env = gitEnv()
	var stderr strings.Builder
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, &stderr
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := cmd.Run()
		if err != nil {
			if msg := strings.TrimSpace(stderr.String()); msg != "" {
				err = fmt.Errorf("git archive: %w: %s", err, msg)
			} else {
				err = fmt.Errorf("git archive: %w", err)
			}
		}
		pw.CloseWithError(err) // nil closes with EOF
	}()
	_, err := p.artifacts.Put(key, pr)
	pr.Close() // unblocks git if Put gave up early
	<-done
	return err
}

func (p *Provider) gitPath() string {
	if p.Git == "" {
		return "git"
	}
	return p.Git
}

// gitEnv keeps user and system configuration out of git, as gitrepo does.
func gitEnv() []string {
	env := []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C"}
	if v := os.Getenv("PATH"); v != "" {
		env = append(env, "PATH="+v)
	}
	return env
}

func failed(code, message string) pipeline.Progress {
	return pipeline.Progress{Done: true, Status: model.ActionFailed, ErrorCode: code, ErrorMessage: message}
}
