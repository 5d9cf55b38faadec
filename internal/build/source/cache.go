package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// Refspecs of the cached mirror: branches and tags under their own names.
var mirrorRefSpecs = []config.RefSpec{
	"+refs/heads/*:refs/heads/*",
	"+refs/tags/*:refs/tags/*",
}

// cacheKey names the cached repository of a location: the same URL always
// maps to the same directory, and the name reveals nothing of the URL.
func cacheKey(url string) string {
	sum := sha256.Sum256([]byte(url))
	return hex.EncodeToString(sum[:12])
}

// viaCache brings the cached bare repository of the location up to date
// (only the new objects cross the network), then copies the wanted commit
// from it into dest. The cache is locked for the whole fetch, so
// concurrent builds of one location take turns and never see it half
// updated.
func (g *gitSource) viaCache(ctx context.Context, cacheDir string) (*git.Repository, target, plumbing.Hash, bool, error) {
	fail := func(t target, err error) (*git.Repository, target, plumbing.Hash, bool, error) {
		return nil, t, plumbing.ZeroHash, false, err
	}
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return fail(target{}, err)
	}
	key := cacheKey(g.ep.url)
	unlock, waited, err := lockFile(ctx, filepath.Join(cacheDir, key+".lock"))
	if err != nil {
		return fail(target{}, fmt.Errorf("locking the source cache: %w", err))
	}
	defer unlock()
	if waited {
		g.log("Waited for another build to finish updating the source cache")
	}
	dir := filepath.Join(cacheDir, key+".git")
	cache, reused, err := g.openCache(dir)
	if err != nil {
		return fail(target{}, err)
	}

	refs, err := g.listRemote(ctx)
	if err != nil {
		return fail(target{}, err)
	}
	t, err := resolveVersion(g.spec.Version, refs)
	if err != nil {
		return fail(t, err)
	}
	g.logTarget(t)
	specs := append([]config.RefSpec{}, mirrorRefSpecs...)
	if t.ref != "" && t.ref != plumbing.HEAD && !t.ref.IsBranch() && !t.ref.IsTag() {
		specs = append(specs, config.RefSpec("+"+t.ref+":"+t.ref))
	}
	if reused {
		g.log("Updating the cached repository of " + g.ep.url + " (LOCAL_SOURCE_CACHE)")
	} else {
		g.log("Cloning " + g.ep.url + " into the source cache (LOCAL_SOURCE_CACHE)")
	}
	if err := g.fetch(ctx, cache, specs, 0, true); err != nil {
		return fail(t, err)
	}
	if head, ok := refs[plumbing.HEAD]; ok && head.Type() == plumbing.SymbolicReference {
		if err := cache.Storer.SetReference(head); err != nil {
			return fail(t, err)
		}
	}
	commit, err := findCommit(cache.Storer, t, t.ref)
	if errors.Is(err, errCommitNotFound) && len(t.commit) == 40 {
		commit, err = g.fetchExactCommit(ctx, cache, t)
	}
	if err != nil {
		return fail(t, g.notFound(t, err))
	}
	cacheRefs, err := localRefs(cache.Storer)
	if err != nil {
		return fail(t, err)
	}

	g.log(fmt.Sprintf("Copying %s from the source cache%s", commit, depthNote(g.depth)))
	repo, err := g.copyFrom(ctx, cache.Storer, t, commit, cacheRefs)
	if err != nil {
		return fail(t, err)
	}
	return repo, t, commit, reused, nil
}

// openCache opens the cached repository in dir, or creates it. A cached
// repository that cannot be opened, or that belongs to another URL, is
// replaced.
func (g *gitSource) openCache(dir string) (*git.Repository, bool, error) {
	repo, err := git.PlainOpen(dir)
	if err == nil {
		rem, rerr := repo.Remote(remoteName)
		if rerr == nil && len(rem.Config().URLs) == 1 && rem.Config().URLs[0] == g.ep.url {
			return repo, true, nil
		}
		err = fmt.Errorf("origin is not %s", g.ep.url)
	}
	if !errors.Is(err, git.ErrRepositoryNotExists) {
		g.log(fmt.Sprintf("Discarding the unusable cached repository %s: %v", dir, err))
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, false, err
	}
	repo, err = git.PlainInit(dir, true)
	if err != nil {
		return nil, false, fmt.Errorf("creating the cached repository %s: %w", dir, err)
	}
	_, err = repo.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{g.ep.url}, Fetch: mirrorRefSpecs})
	if err != nil {
		return nil, false, err
	}
	return repo, false, nil
}
