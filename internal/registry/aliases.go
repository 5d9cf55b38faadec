package registry

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
)

// aliasStore records manifests pushed under a digest of another algorithm
// than the library's canonical sha256 (sha512): the library stores the
// manifest under its sha256 digest, wharf maps the pushed digest to it.
// One file per alias: <dir>/<repository>/<algorithm>/<encoded> holding the
// sha256 digest.
type aliasStore struct {
	dir string
	mu  sync.RWMutex
	fwd map[string]map[digest.Digest]digest.Digest   // repo → alias → canonical
	rev map[string]map[digest.Digest][]digest.Digest // repo → canonical → aliases
}

func openAliasStore(dir string) (*aliasStore, error) {
	s := &aliasStore{dir: dir, fwd: map[string]map[digest.Digest]digest.Digest{}, rev: map[string]map[digest.Digest][]digest.Digest{}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	repos, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	for _, re := range repos {
		repo, err := url.PathUnescape(re.Name())
		if err != nil || !re.IsDir() {
			continue
		}
		algs, _ := os.ReadDir(filepath.Join(dir, re.Name()))
		for _, ae := range algs {
			files, _ := os.ReadDir(filepath.Join(dir, re.Name(), ae.Name()))
			for _, f := range files {
				if strings.HasPrefix(f.Name(), ".") {
					continue
				}
				b, err := os.ReadFile(filepath.Join(dir, re.Name(), ae.Name(), f.Name()))
				if err != nil {
					return nil, fmt.Errorf("registry: %w", err)
				}
				alias := digest.NewDigestFromEncoded(digest.Algorithm(ae.Name()), f.Name())
				canon, err := digest.Parse(strings.TrimSpace(string(b)))
				if err != nil || alias.Validate() != nil {
					continue
				}
				s.addLocked(repo, alias, canon)
			}
		}
	}
	return s, nil
}

func (s *aliasStore) addLocked(repo string, alias, canon digest.Digest) {
	if s.fwd[repo] == nil {
		s.fwd[repo] = map[digest.Digest]digest.Digest{}
		s.rev[repo] = map[digest.Digest][]digest.Digest{}
	}
	if s.fwd[repo][alias] == canon {
		return
	}
	s.fwd[repo][alias] = canon
	s.rev[repo][canon] = append(s.rev[repo][canon], alias)
}

func (s *aliasStore) path(repo string, alias digest.Digest) string {
	return filepath.Join(s.dir, url.PathEscape(repo), string(alias.Algorithm()), alias.Encoded())
}

// add records alias → canon for repo.
func (s *aliasStore) add(repo string, alias, canon digest.Digest) error {
	if err := writeFileAtomic(s.path(repo, alias), []byte(canon.String()+"\n"), 0o600); err != nil {
		return fmt.Errorf("registry: record digest alias: %w", err)
	}
	s.mu.Lock()
	s.addLocked(repo, alias, canon)
	s.mu.Unlock()
	return nil
}

// resolve returns the canonical digest an alias stands for.
func (s *aliasStore) resolve(repo string, alias digest.Digest) (digest.Digest, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.fwd[repo][alias]
	return d, ok
}

// of returns the aliases of a canonical digest.
func (s *aliasStore) of(repo string, canon digest.Digest) []digest.Digest {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]digest.Digest(nil), s.rev[repo][canon]...)
}

// removeCanonical forgets every alias of canon.
func (s *aliasStore) removeCanonical(repo string, canon digest.Digest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.rev[repo][canon] {
		if err := os.Remove(s.path(repo, a)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("registry: %w", err)
		}
		delete(s.fwd[repo], a)
	}
	delete(s.rev[repo], canon)
	return nil
}

func (s *aliasStore) removeRepo(repo string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.fwd, repo)
	delete(s.rev, repo)
	if err := os.RemoveAll(filepath.Join(s.dir, url.PathEscape(repo))); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}
