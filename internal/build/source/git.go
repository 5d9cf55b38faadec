package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/memory"
)

const remoteName = "origin"

// Refspecs of a clone: branches become remote-tracking branches.
var cloneRefSpecs = []config.RefSpec{
	"+refs/heads/*:refs/remotes/origin/*",
	"+refs/tags/*:refs/tags/*",
}

// gitSource is one git fetch in progress.
type gitSource struct {
	spec  Spec
	ep    gitEndpoint
	auth  transport.AuthMethod // nil unless http(s)
	dest  string
	depth int
	log   func(string)
}

// fetchGit clones a git source into dest and checks out the commit its
// version names, with HEAD detached at it as in CodeBuild.
func fetchGit(ctx context.Context, s Spec, dest string, opts Options) (Result, error) {
	ep, err := parseGitLocation(s.Location)
	if err != nil {
		return Result{}, err
	}
	g := &gitSource{spec: s, ep: ep, dest: dest, depth: max(int(s.GitCloneDepth), 0), log: opts.Log}
	if u, err := url.Parse(ep.url); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		if a := opts.Auth; a != nil {
			g.auth = &githttp.BasicAuth{Username: a.Username, Password: a.Password}
		} else if a := ep.auth; a != nil {
			g.auth = &githttp.BasicAuth{Username: a.Username, Password: a.Password}
		}
	}
	res := Result{RepoURL: ep.url}
	g.log("Source is located at " + ep.url)

	var repo *git.Repository
	var t target
	var commit plumbing.Hash
	switch {
	case ep.local != "":
		repo, t, commit, err = g.fromLocal(ctx)
	case opts.CacheDir != "":
		repo, t, commit, res.CacheReused, err = g.viaCache(ctx, opts.CacheDir)
	default:
		repo, t, commit, err = g.direct(ctx)
	}
	if err != nil {
		return res, err
	}
	if t.ref != plumbing.HEAD {
		res.Ref = string(t.ref)
	}
	res.ResolvedVersion = commit.String()
	if sh, err := repo.Storer.Shallow(); err == nil && len(sh) > 0 {
		res.Shallow = true
	}

	wt, err := repo.Worktree()
	if err != nil {
		return res, err
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: commit, Force: true}); err != nil {
		return res, fmt.Errorf("checking out %s: %w", commit, err)
	}
	if s.FetchSubmodules {
		if err := g.submodules(ctx, wt); err != nil {
			return res, err
		}
	}
	g.log("Checked out " + commit.String())
	return res, nil
}

// direct fetches from the remote straight into dest, as git clone does:
// every branch and tag, or with a clone depth just the wanted ref (git's
// --depth implies --single-branch). When the wanted commit is not in a
// shallow history it starts over with a full clone.
func (g *gitSource) direct(ctx context.Context) (*git.Repository, target, plumbing.Hash, error) {
	refs, err := g.listRemote(ctx)
	if err != nil {
		return nil, target{}, plumbing.ZeroHash, err
	}
	t, err := resolveVersion(g.spec.Version, refs)
	if err != nil {
		return nil, target{}, plumbing.ZeroHash, err
	}
	g.logTarget(t)
	repo, err := g.initDest()
	if err != nil {
		return nil, t, plumbing.ZeroHash, err
	}
	specs := fullCloneRefSpecs(t)
	if g.depth > 0 && t.ref != "" {
		specs = []config.RefSpec{refSpecFor(t.ref)}
	}
	g.log(fmt.Sprintf("Cloning %s%s", g.ep.url, depthNote(g.depth)))
	if err := g.fetch(ctx, repo, specs, g.depth, false); err != nil {
		return nil, t, plumbing.ZeroHash, err
	}
	commit, err := findCommit(repo.Storer, t, localRefName(t.ref))
	if errors.Is(err, errCommitNotFound) && g.depth > 0 {
		fetched := "the branches and tags"
		if t.ref != "" {
			fetched = t.ref.Short()
		}
		g.log(fmt.Sprintf("Commit %s is not in the shallow history of %s; fetching the full history", t.commit, fetched))
		// A shallow repository does not deepen by fetching again: start over.
		if err := os.RemoveAll(filepath.Join(g.dest, git.GitDirName)); err != nil {
			return nil, t, plumbing.ZeroHash, err
		}
		if repo, err = g.initDest(); err != nil {
			return nil, t, plumbing.ZeroHash, err
		}
		if err := g.fetch(ctx, repo, fullCloneRefSpecs(t), 0, false); err != nil {
			return nil, t, plumbing.ZeroHash, err
		}
		commit, err = findCommit(repo.Storer, t, localRefName(t.ref))
	}
	if errors.Is(err, errCommitNotFound) && len(t.commit) == 40 {
		commit, err = g.fetchExactCommit(ctx, repo, t)
	}
	if err != nil {
		return nil, t, plumbing.ZeroHash, g.notFound(t, err)
	}
	if err := setOriginHead(repo.Storer, refs); err != nil {
		return nil, t, plumbing.ZeroHash, err
	}
	return repo, t, commit, nil
}

// fullCloneRefSpecs fetches every branch and tag, and t.ref when it is
// neither (a pull request ref).
func fullCloneRefSpecs(t target) []config.RefSpec {
	specs := append([]config.RefSpec{}, cloneRefSpecs...)
	if t.ref != "" && !t.ref.IsBranch() && !t.ref.IsTag() {
		specs = append(specs, refSpecFor(t.ref))
	}
	return specs
}

// fetchExactCommit asks the server for a commit no ref points at (GitHub
// allows it; git http-backend only with uploadpack.allowReachableSHA1InWant).
func (g *gitSource) fetchExactCommit(ctx context.Context, repo *git.Repository, t target) (plumbing.Hash, error) {
	spec := config.RefSpec(t.commit + ":refs/wharf/source")
	if err := g.fetch(ctx, repo, []config.RefSpec{spec}, 0, false); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: %v", errCommitNotFound, err)
	}
	return findCommit(repo.Storer, t, "")
}

// fromLocal reads a repository on the build host in place and copies the
// wanted history into dest.
func (g *gitSource) fromLocal(ctx context.Context) (*git.Repository, target, plumbing.Hash, error) {
	src, err := git.PlainOpenWithOptions(g.ep.local, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			if _, statErr := os.Stat(g.ep.local); errors.Is(statErr, os.ErrNotExist) {
				return nil, target{}, plumbing.ZeroHash, kindf(ErrNotFound, "git source location %s does not exist", g.ep.url)
			}
			return nil, target{}, plumbing.ZeroHash, kindf(ErrNotFound, "git source location %s is not a git repository", g.ep.url)
		}
		return nil, target{}, plumbing.ZeroHash, fmt.Errorf("opening git repository %s: %w", g.ep.url, err)
	}
	refs, err := localRefs(src.Storer)
	if err != nil {
		return nil, target{}, plumbing.ZeroHash, err
	}
	t, err := resolveVersion(g.spec.Version, refs)
	if err != nil {
		return nil, target{}, plumbing.ZeroHash, err
	}
	g.logTarget(t)
	commit, err := findCommit(src.Storer, t, t.ref)
	if err != nil {
		return nil, t, plumbing.ZeroHash, g.notFound(t, err)
	}
	g.log(fmt.Sprintf("Cloning %s%s", g.ep.url, depthNote(g.depth)))
	repo, err := g.copyFrom(ctx, src.Storer, t, commit, refs)
	return repo, t, commit, err
}

// copyFrom makes dest a clone of the local repository storage src (the
// cache, or a repository on the host) holding commit. A full clone copies
// src's object files as they are, like git clone --local, and gets all of
// src's branches and tags; a shallow one (or one from a repository with
// alternates) gets commit's history down to the clone depth, written as a
// new pack, and the ref t.ref only when it points at commit.
func (g *gitSource) copyFrom(ctx context.Context, src storage.Storer, t target, commit plumbing.Hash, refs refMap) (*git.Repository, error) {
	repo, err := g.initDest()
	if err != nil {
		return nil, err
	}
	if objects, ok := objectsDir(src); ok && g.depth == 0 {
		if _, err := copyTree(ctx, objects, filepath.Join(g.dest, git.GitDirName, "objects"), g.log); err != nil {
			return nil, fmt.Errorf("copying objects: %w", err)
		}
		if repo, err = git.PlainOpen(g.dest); err != nil { // rescan the packs
			return nil, err
		}
		if sh, err := src.Shallow(); err == nil && len(sh) > 0 {
			if err := repo.Storer.SetShallow(sh); err != nil {
				return nil, err
			}
		}
		return repo, setCloneRefs(repo.Storer, refs, t)
	}
	var tip plumbing.Hash
	var tags []plumbing.Hash
	if r, ok := refs[t.ref]; ok && t.ref != plumbing.HEAD && r.Type() == plumbing.HashReference {
		if c, chain, err := peel(src, r.Hash()); err == nil && c == commit {
			tip, tags = r.Hash(), chain
		}
	}
	shallow, err := copyHistory(ctx, src, repo.Storer, commit, tags, g.depth)
	if err != nil {
		return nil, err
	}
	if len(shallow) > 0 {
		if err := repo.Storer.SetShallow(shallow); err != nil {
			return nil, err
		}
	}
	if !tip.IsZero() {
		if err := repo.Storer.SetReference(plumbing.NewHashReference(localRefName(t.ref), tip)); err != nil {
			return nil, err
		}
	}
	return repo, nil
}

// setCloneRefs gives dst the refs a clone of a repository with refs has:
// remote-tracking branches, tags, origin/HEAD, plus t.ref if it is neither
// branch nor tag (a pull request ref).
func setCloneRefs(dst storage.Storer, refs refMap, t target) error {
	for name, r := range refs {
		if r.Type() != plumbing.HashReference || !(name.IsBranch() || name.IsTag() || name == t.ref) {
			continue
		}
		if err := dst.SetReference(plumbing.NewHashReference(localRefName(name), r.Hash())); err != nil {
			return err
		}
	}
	return setOriginHead(dst, refs)
}

// setOriginHead points origin/HEAD at the remote-tracking branch of the
// remote's default branch, when dst has that branch.
func setOriginHead(dst storage.Storer, refs refMap) error {
	head, ok := refs[plumbing.HEAD]
	if !ok || head.Type() != plumbing.SymbolicReference || !head.Target().IsBranch() {
		return nil
	}
	target := localRefName(head.Target())
	if _, err := dst.Reference(target); err != nil {
		return nil
	}
	return dst.SetReference(plumbing.NewSymbolicReference(plumbing.NewRemoteHEADReferenceName(remoteName), target))
}

// submodules initialises and checks out the submodules recursively.
func (g *gitSource) submodules(ctx context.Context, wt *git.Worktree) error {
	subs, err := wt.Submodules()
	if err != nil {
		return fmt.Errorf("reading submodules: %w", err)
	}
	if len(subs) == 0 {
		return nil
	}
	g.log(fmt.Sprintf("Fetching %d submodules", len(subs)))
	err = subs.UpdateContext(ctx, &git.SubmoduleUpdateOptions{
		Init:              true,
		RecurseSubmodules: git.DefaultSubmoduleRecursionDepth,
		Auth:              g.auth,
	})
	if err != nil {
		return fmt.Errorf("fetching submodules: %w", err)
	}
	return nil
}

// initDest creates the repository in dest with origin set to the source
// URL, as git clone leaves it.
func (g *gitSource) initDest() (*git.Repository, error) {
	repo, err := git.PlainInit(g.dest, false)
	if err != nil {
		return nil, fmt.Errorf("creating git repository in %s: %w", g.dest, err)
	}
	_, err = repo.CreateRemote(&config.RemoteConfig{
		Name:  remoteName,
		URLs:  []string{g.ep.url},
		Fetch: []config.RefSpec{cloneRefSpecs[0]},
	})
	return repo, err
}

// listRemote lists the remote's refs, HEAD included.
func (g *gitSource) listRemote(ctx context.Context) (refMap, error) {
	rem := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: remoteName, URLs: []string{g.ep.url}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: g.auth})
	if err != nil {
		return nil, g.remoteError(err)
	}
	return newRefMap(refs), nil
}

// fetch fetches specs from the remote into repo. prune removes local refs
// the remote no longer has (the cache mirror).
func (g *gitSource) fetch(ctx context.Context, repo *git.Repository, specs []config.RefSpec, depth int, prune bool) error {
	err := repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remoteName,
		RefSpecs:   specs,
		Depth:      depth,
		Auth:       g.auth,
		Tags:       git.NoTags,
		Force:      true,
		Prune:      prune,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return g.remoteError(err)
	}
	return nil
}

func (g *gitSource) remoteError(err error) error {
	switch {
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return kindf(ErrNotFound, "git repository %s: %v", g.ep.url, err)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return kindf(ErrInvalidVersion, "git repository %s is empty", g.ep.url)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("git repository %s: %w (set the source credentials)", g.ep.url, err)
	}
	return fmt.Errorf("git repository %s: %w", g.ep.url, err)
}

// notFound turns errCommitNotFound into CodeBuild's invalid-version error.
func (g *gitSource) notFound(t target, err error) error {
	if !errors.Is(err, errCommitNotFound) {
		return err
	}
	what := "commit " + t.commit
	if t.commit == "" {
		what = "ref " + string(t.ref)
	}
	return invalidVersion(g.spec.Version, what+" not found in "+g.ep.url)
}

// localRefs lists a local repository's refs with HEAD.
func localRefs(s storage.Storer) (refMap, error) {
	iter, err := s.IterReferences()
	if err != nil {
		return nil, err
	}
	refs := refMap{}
	err = iter.ForEach(func(r *plumbing.Reference) error {
		refs[r.Name()] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	if head, err := s.Reference(plumbing.HEAD); err == nil {
		refs[plumbing.HEAD] = head
	}
	return refs, nil
}

// localRefName is where a clone keeps the remote ref name.
func localRefName(name plumbing.ReferenceName) plumbing.ReferenceName {
	switch {
	case name.IsBranch():
		return plumbing.NewRemoteReferenceName(remoteName, name.Short())
	case name == plumbing.HEAD:
		return plumbing.NewRemoteHEADReferenceName(remoteName)
	}
	return name
}

func refSpecFor(name plumbing.ReferenceName) config.RefSpec {
	return config.RefSpec("+" + string(name) + ":" + string(localRefName(name)))
}

func depthNote(depth int) string {
	if depth > 0 {
		return fmt.Sprintf(" (depth %d)", depth)
	}
	return ""
}

// logTarget logs what the source version resolved to.
func (g *gitSource) logTarget(t target) {
	v := g.spec.Version
	if v == "" {
		v = "(default branch)"
	}
	what := string(t.ref)
	switch {
	case t.commit != "" && t.ref != "":
		what = "commit " + t.commit + " of " + string(t.ref)
	case t.commit != "":
		what = "commit " + t.commit
	}
	g.log("Source version " + v + " resolves to " + what)
}
