package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// CodeBuild SourceType values.
const (
	TypeNoSource          = "NO_SOURCE"
	TypeS3                = "S3"
	TypeCodeCommit        = "CODECOMMIT"
	TypeGitHub            = "GITHUB"
	TypeGitHubEnterprise  = "GITHUB_ENTERPRISE"
	TypeGitLab            = "GITLAB"
	TypeGitLabSelfManaged = "GITLAB_SELF_MANAGED"
	TypeBitbucket         = "BITBUCKET"
	TypeCodePipeline      = "CODEPIPELINE"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrInvalidVersion: the sourceVersion names no branch, tag, pull
	// request or commit of the repository.
	ErrInvalidVersion = errors.New("invalid source version")
	// ErrUnsupported: the source type or location cannot be fetched by
	// wharf (ssh URLs, S3 buckets, unknown types).
	ErrUnsupported = errors.New("unsupported source")
	// ErrNotFound: the source location does not exist.
	ErrNotFound = errors.New("source not found")
	// ErrUnsafeArchive: an archive entry would land outside the destination.
	ErrUnsafeArchive = errors.New("unsafe archive entry")
)

// Spec describes one source: a CodeBuild ProjectSource plus the build's
// sourceVersion.
type Spec struct {
	// Type is the CodeBuild SourceType (TypeS3, TypeGitHub, ...).
	Type string
	// Location is a git URL or local repository for the git types, a local
	// directory or archive for S3 and CODEPIPELINE; unused for NO_SOURCE.
	Location string
	// Version is the build's sourceVersion: a commit id (full, or at least
	// 7 hex digits), a branch or tag name, refs/heads/x, refs/tags/x, any
	// other full ref, pr/N (refs/pull/N/head, or GitLab's
	// refs/merge-requests/N/head), or CodeBuild's webhook form ref^{commit}.
	// "" means the HEAD of the default branch. Ignored for S3 (wharf's
	// local stand-in has no object versions) and CODEPIPELINE.
	Version string
	// GitCloneDepth > 0 fetches that many commits of history; 0 is full.
	GitCloneDepth int32
	// FetchSubmodules initialises and checks out the submodules
	// (recursively) after the checkout.
	FetchSubmodules bool
}

// Result is what Fetch observed.
type Result struct {
	// ResolvedVersion is the full commit id checked out for git sources
	// (CODEBUILD_RESOLVED_SOURCE_VERSION); "" for other sources.
	ResolvedVersion string
	// Ref is the ref the version resolved to (refs/heads/main for "" or
	// "main", refs/tags/v1, refs/pull/7/head; for ref^{commit} the ref; for
	// a commit id the branch or tag whose tip it is). "" when the commit is
	// at no ref's tip, and for non-git sources.
	Ref string
	// RepoURL is the location without any password
	// (CODEBUILD_SOURCE_REPO_URL).
	RepoURL string
	// Shallow is true when dest/.git holds a shallow history.
	Shallow bool
	// CacheReused is true when an existing cached repository was updated
	// instead of cloning from scratch (Options.CacheDir).
	CacheReused bool
}

// BasicAuth is an HTTP(S) git credential. For token-based hosts put the
// token in Password.
type BasicAuth struct {
	Username string
	Password string
}

// Options are the host-side settings of Fetch.
type Options struct {
	// CacheDir, when set, holds one bare repository per remote git
	// location (LOCAL_SOURCE_CACHE): Fetch updates it with the new commits
	// only and copies the build's commit from it into dest. Local
	// repositories are read in place and never cached.
	CacheDir string
	// Auth is used for http(s) git locations; a user:password in the
	// location URL is used when Auth is nil.
	Auth *BasicAuth
	// S3Root is the host directory standing in for S3: a relative S3
	// location "bucket/key" (or s3://bucket/key) is looked up under it.
	// Empty means "/".
	S3Root string
	// Log receives DOWNLOAD_SOURCE log messages without a timestamp. It is
	// called from one goroutine at a time. Nil discards them.
	Log func(msg string)
}

// Fetch puts the source described by s into dest, which must not exist or
// be an empty directory. On error dest may hold a partial tree; the caller
// removes it.
func Fetch(ctx context.Context, s Spec, dest string, opts Options) (Result, error) {
	if opts.Log == nil {
		opts.Log = func(string) {}
	}
	if err := prepareDest(dest); err != nil {
		return Result{}, err
	}
	typ := strings.ToUpper(strings.TrimSpace(s.Type))
	if typ == TypeNoSource {
		opts.Log("No source to download (NO_SOURCE)")
		return Result{}, nil
	}
	if s.Location == "" {
		return Result{}, kindf(ErrUnsupported, "source type %s needs a location", typeName(typ))
	}
	if isGitLocation(typ, s.Location) {
		return fetchGit(ctx, s, dest, opts)
	}
	switch typ {
	case TypeS3, TypeCodePipeline:
		return fetchLocal(ctx, typ, s, dest, opts)
	case TypeCodeCommit, TypeGitHub, TypeGitHubEnterprise, TypeGitLab, TypeGitLabSelfManaged, TypeBitbucket:
		return fetchGit(ctx, s, dest, opts)
	}
	return Result{}, kindf(ErrUnsupported, "unsupported source type %s", typeName(typ))
}

func typeName(t string) string {
	if t == "" {
		return `""`
	}
	return t
}

// prepareDest creates dest, or checks that an existing dest is an empty
// directory.
func prepareDest(dest string) error {
	if dest == "" {
		return errors.New("source destination directory is empty")
	}
	entries, err := os.ReadDir(dest)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dest, 0o755)
	case err != nil:
		return fmt.Errorf("source destination %s: %w", dest, err)
	case len(entries) > 0:
		return fmt.Errorf("source destination %s is not empty", dest)
	}
	return nil
}

// kindError is an error of one of the sentinel kinds whose message reads
// without the sentinel's text.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// kindf formats an error that matches kind with errors.Is.
func kindf(kind error, format string, a ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, a...)}
}
