package gitsource

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Errors of branchHead.
var (
	errRepositoryNotFound = errors.New("repository not found")
	errBranchNotFound     = errors.New("branch not found")
)

// location is a FullRepositoryId read as a git location.
type location struct {
	// url is handed to git as configured, credentials included.
	url string
	// display is url without credentials: for messages, variables and
	// trigger details.
	display string
	// local is the path of a repository on this host, or "".
	local string
	// secrets are the credentials in url ("user:token@", "token"),
	// scrubbed from messages.
	secrets []string
}

// parseLocation reads FullRepositoryId: an http(s) URL (credentials may be
// in it), a file:// URL or an absolute path. An owner/repo name, which
// only a connection could resolve, is an error saying so.
func parseLocation(id string) (location, error) {
	id = strings.TrimSpace(id)
	if filepath.IsAbs(id) {
		return location{url: id, display: id, local: filepath.Clean(id)}, nil
	}
	u, err := url.Parse(id)
	if err != nil || u.Scheme == "" {
		if looksLikeSSH(id) {
			return location{}, sshError(id)
		}
		return location{}, fmt.Errorf("FullRepositoryId %q is not a git URL: wharf has no connections to resolve owner/repo names, "+
			"so FullRepositoryId must be the repository's URL (https://git.example.com/owner/repo.git, file:///path/to/repo) "+
			"or the absolute path of a repository on the server", id)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return location{}, fmt.Errorf("FullRepositoryId %q has no host", id)
		}
		loc := location{url: id}
		if u.User != nil {
			loc.secrets = append(loc.secrets, u.User.String()+"@")
			if pw, ok := u.User.Password(); ok && pw != "" {
				loc.secrets = append(loc.secrets, pw)
			}
			u.User = nil
		}
		loc.display = u.String()
		return loc, nil
	case "file":
		if (u.Host != "" && u.Host != "localhost") || !filepath.IsAbs(u.Path) {
			return location{}, fmt.Errorf("FullRepositoryId %q: a file:// URL needs an absolute path (file:///path/to/repo)", id)
		}
		return location{url: id, display: id, local: filepath.Clean(u.Path)}, nil
	case "ssh", "git+ssh", "ssh+git":
		return location{}, sshError(id)
	}
	return location{}, fmt.Errorf("FullRepositoryId %q: wharf fetches git over http, https and file:// URLs, not %s", id, u.Scheme)
}

// looksLikeSSH matches git's scp-like syntax, user@host:path.
func looksLikeSSH(id string) bool {
	at, colon := strings.Index(id, "@"), strings.Index(id, ":")
	return at > 0 && colon > at && !strings.Contains(id, "://")
}

func sshError(id string) error {
	return fmt.Errorf("FullRepositoryId %q uses ssh, which wharf does not fetch over; use an https URL "+
		"(with a token in it for a private repository: https://user:token@host/owner/repo.git)", id)
}

// scrub removes the location's credentials from a message.
func (l location) scrub(msg string) string {
	for _, s := range l.secrets {
		msg = strings.ReplaceAll(msg, s, "")
	}
	return msg
}

// branchHead returns the commit at the tip of a branch: read in place for
// a local repository, listed from the server (git ls-remote) otherwise.
func branchHead(ctx context.Context, loc location, branch string) (string, error) {
	name := plumbing.NewBranchReferenceName(branch)
	if loc.local != "" {
		repo, err := git.PlainOpenWithOptions(loc.local, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return "", fmt.Errorf("%w: %s is not a git repository", errRepositoryNotFound, loc.display)
		}
		if err != nil {
			return "", fmt.Errorf("opening %s: %w", loc.display, err)
		}
		ref, err := repo.Reference(name, true)
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			return "", fmt.Errorf("%w: branch %s not found in %s", errBranchNotFound, branch, loc.display)
		}
		if err != nil {
			return "", fmt.Errorf("reading branch %s of %s: %w", branch, loc.display, err)
		}
		return ref.Hash().String(), nil
	}
	rem := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{loc.url}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{})
	switch {
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return "", fmt.Errorf("%w: branch %s not found in %s, an empty repository", errBranchNotFound, branch, loc.display)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return "", fmt.Errorf("%w: %s", errRepositoryNotFound, loc.display)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return "", fmt.Errorf("reading %s: %s (put credentials in the URL: https://user:token@host/owner/repo.git)", loc.display, loc.scrub(err.Error()))
	case err != nil:
		return "", fmt.Errorf("reading %s: %s", loc.display, loc.scrub(err.Error()))
	}
	for _, r := range refs {
		if r.Name() == name && r.Type() == plumbing.HashReference {
			return r.Hash().String(), nil
		}
	}
	return "", fmt.Errorf("%w: branch %s not found in %s", errBranchNotFound, branch, loc.display)
}
