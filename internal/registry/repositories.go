package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Sentinel errors; the ECR API maps them to its exceptions.
var (
	ErrRepositoryNotFound      = errors.New("repository not found")
	ErrRepositoryExists        = errors.New("repository already exists")
	ErrRepositoryNotEmpty      = errors.New("repository not empty")
	ErrImageNotFound           = errors.New("image not found")
	ErrTagImmutable            = errors.New("tag is immutable")
	ErrLifecyclePolicyNotFound = errors.New("lifecycle policy not found")
	ErrPreviewNotFound         = errors.New("lifecycle policy preview not found")
)

// InvalidError is input the registry refuses, with the reason.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return e.Reason }

func invalid(format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// Tag mutability settings (ECR's ImageTagMutability values).
const (
	Mutable                = "MUTABLE"
	Immutable              = "IMMUTABLE"
	MutableWithExclusion   = "MUTABLE_WITH_EXCLUSION"
	ImmutableWithExclusion = "IMMUTABLE_WITH_EXCLUSION"
)

// Repository is an ECR repository's metadata. Its images live in the
// library's storage under the same name.
type Repository struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	// TagMutability is one of the Mutable... constants; ExclusionFilters
	// are wildcard patterns ('*' matches any run of characters) naming the
	// tags that behave the other way under the _WITH_EXCLUSION settings.
	TagMutability    string   `json:"tagMutability"`
	ExclusionFilters []string `json:"exclusionFilters,omitempty"`
	ScanOnPush       bool     `json:"scanOnPush"`
	EncryptionType   string   `json:"encryptionType"`
	KMSKey           string   `json:"kmsKey,omitempty"`
	Tags             []KV     `json:"tags,omitempty"`
	// LifecyclePolicy is the policy text as given; empty when none.
	LifecyclePolicy          string    `json:"lifecyclePolicy,omitempty"`
	LifecyclePolicyUpdatedAt time.Time `json:"lifecyclePolicyUpdatedAt,omitzero"`
}

// KV is a resource tag.
type KV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TagIsImmutable reports whether tag may not be moved to another image.
func (r *Repository) TagIsImmutable(tag string) bool {
	excluded := false
	for _, f := range r.ExclusionFilters {
		if wildcardMatch(f, tag) {
			excluded = true
			break
		}
	}
	switch r.TagMutability {
	case Immutable:
		return true
	case ImmutableWithExclusion:
		return !excluded
	case MutableWithExclusion:
		return excluded
	}
	return false
}

// wildcardMatch matches s against a pattern where '*' stands for any run
// of characters (ECR's WILDCARD filters and tagPatternList).
func wildcardMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// repoNameRE is ECR's repository name pattern.
var repoNameRE = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// ValidateName checks a repository name against ECR's rules.
func ValidateName(name string) error {
	if len(name) < 2 || len(name) > 256 {
		return invalid("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must have length between 2 and 256 inclusive'")
	}
	if !repoNameRE.MatchString(name) {
		return invalid("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''")
	}
	return nil
}

// repoStore keeps repositories in memory and one JSON file each on disk.
type repoStore struct {
	dir   string
	mu    sync.RWMutex
	repos map[string]*Repository
}

func openRepoStore(dir string) (*repoStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	s := &repoStore{dir: dir, repos: map[string]*Repository{}}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
		var r Repository
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("registry: repository file %s: %w", e.Name(), err)
		}
		s.repos[r.Name] = &r
	}
	return s, nil
}

func (s *repoStore) file(name string) string {
	return filepath.Join(s.dir, url.PathEscape(name)+".json")
}

func (s *repoStore) get(name string) (Repository, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.repos[name]
	if !ok {
		return Repository{}, false
	}
	return cloneRepo(r), true
}

func cloneRepo(r *Repository) Repository {
	c := *r
	c.ExclusionFilters = append([]string(nil), r.ExclusionFilters...)
	c.Tags = append([]KV(nil), r.Tags...)
	return c
}

func (s *repoStore) list() []Repository {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Repository, 0, len(s.repos))
	for _, r := range s.repos {
		out = append(out, cloneRepo(r))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *repoStore) create(r Repository) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.repos[r.Name]; ok {
		return ErrRepositoryExists
	}
	if err := s.write(&r); err != nil {
		return err
	}
	s.repos[r.Name] = &r
	return nil
}

// update applies fn to a copy of the repository and stores the result.
func (s *repoStore) update(name string, fn func(*Repository) error) (Repository, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.repos[name]
	if !ok {
		return Repository{}, ErrRepositoryNotFound
	}
	next := cloneRepo(cur)
	if err := fn(&next); err != nil {
		return Repository{}, err
	}
	if err := s.write(&next); err != nil {
		return Repository{}, err
	}
	s.repos[name] = &next
	return cloneRepo(&next), nil
}

func (s *repoStore) remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.repos[name]; !ok {
		return ErrRepositoryNotFound
	}
	if err := os.Remove(s.file(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("registry: %w", err)
	}
	delete(s.repos, name)
	return nil
}

func (s *repoStore) write(r *Repository) error {
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.file(r.Name), b, 0o600); err != nil {
		return fmt.Errorf("registry: write repository %s: %w", r.Name, err)
	}
	return nil
}

// repoStoragePath is where the library keeps a repository's links.
func repoStoragePath(name string) string {
	return path.Join("/docker/registry/v2/repositories", name)
}
