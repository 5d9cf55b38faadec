package gitrepo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wharfhq/wharf/internal/fsutil"
)

// metaFile is the metadata file inside each bare repository directory.
const metaFile = "wharf-repository.json"

// DefaultPathPrefix is the URL path under which the server mounts the
// git handler; clone URLs are the server's base URL + prefix + name.
const DefaultPathPrefix = "/git/"

// Repository is the metadata of one hosted repository.
type Repository struct {
	Name        string    `json:"name"`
	ID          string    `json:"id"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	// ModifiedAt changes with the description, the default branch and
	// every push or API call that updates a ref.
	ModifiedAt time.Time `json:"modifiedAt"`
	// DefaultBranch is "" until the first branch is pushed, which then
	// becomes the default (as in CodeCommit). It is what HEAD points to.
	DefaultBranch string `json:"defaultBranch,omitempty"`
	// ClonePath is the URL path of the repository on the git handler,
	// e.g. "/git/NAME"; the clone URL is the server's base URL + ClonePath.
	ClonePath string `json:"-"`
}

// PushEvent reports one ref a push (or a branch API call) changed. Old is
// ZeroID when the ref was created, New is ZeroID when it was deleted.
type PushEvent struct {
	Repo string // repository name
	Ref  string // full ref name, e.g. "refs/heads/main"
	Old  string
	New  string
}

// ZeroID is the object id git uses for "no object" in ref updates.
const ZeroID = "0000000000000000000000000000000000000000"

// Store hosts bare git repositories under a root directory, one
// NAME.git directory per repository with its metadata inside.
type Store struct {
	root   string
	git    string
	prefix string
	now    func() time.Time
	logger *slog.Logger

	locks keyedMutex

	hookMu sync.RWMutex
	hooks  []func(PushEvent)
}

// Option configures a Store.
type Option func(*Store)

// WithGit sets the git executable (default "git" from PATH).
func WithGit(path string) Option { return func(s *Store) { s.git = path } }

// WithClock sets the clock used for creation and modification times.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.logger = l } }

// WithPathPrefix sets the URL path the git handler is mounted at
// (default DefaultPathPrefix, "/git/").
func WithPathPrefix(p string) Option {
	return func(s *Store) { s.prefix = "/" + strings.Trim(p, "/") + "/" }
}

// New returns a store keeping its repositories under root (the server's
// data directory + "/git"). The directory is created on first use.
func New(root string, opts ...Option) *Store {
	// git http-backend runs in another directory: the root must not be
	// relative to this process's.
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	s := &Store{
		root:   root,
		git:    "git",
		prefix: DefaultPathPrefix,
		now:    time.Now,
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(s)
	}
	s.logger = s.logger.With("component", "gitrepo")
	return s
}

// Root returns the directory holding the repositories.
func (s *Store) Root() string { return s.root }

// PathPrefix returns the URL path the git handler serves, e.g. "/git/".
func (s *Store) PathPrefix() string { return s.prefix }

// OnPush registers fn to be called once for every ref that a push (or
// CreateBranch, DeleteBranch) changed, after the change is on disk. Calls
// are synchronous, in the goroutine serving the push, after the
// repository's lock is released: fn may call the Store, but should hand
// slow work off, as the git client waits for it. Events of concurrent
// pushes to one repository may be delivered in either order.
func (s *Store) OnPush(fn func(PushEvent)) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.hooks = append(s.hooks, fn)
}

func (s *Store) deliver(events []PushEvent) {
	s.hookMu.RLock()
	hooks := slices.Clone(s.hooks)
	s.hookMu.RUnlock()
	for _, ev := range events {
		s.logger.Info("ref updated", "repo", ev.Repo, "ref", ev.Ref, "old", ev.Old, "new", ev.New)
		for _, fn := range hooks {
			fn(ev)
		}
	}
}

func (s *Store) dir(name string) string { return filepath.Join(s.root, name+".git") }

// Create makes an empty repository. Its default branch is set by the
// first push.
func (s *Store) Create(ctx context.Context, name, description string) (Repository, error) {
	if err := ValidateName(name); err != nil {
		return Repository{}, err
	}
	if err := ValidateDescription(description); err != nil {
		return Repository{}, err
	}
	defer s.locks.lock(name)()
	dir := s.dir(name)
	if _, err := os.Stat(dir); err == nil {
		return Repository{}, fmt.Errorf("%w: %s", ErrExists, name)
	}
	if err := os.MkdirAll(s.root, 0o700); err != nil {
		return Repository{}, err
	}
	tmp, err := os.MkdirTemp(s.root, ".tmp-"+name+"-")
	if err != nil {
		return Repository{}, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if _, err := s.run(ctx, "", nil, "-c", "init.defaultBranch=main", "init", "--bare", "--quiet", tmp); err != nil {
		return Repository{}, err
	}
	if err := appendConfig(filepath.Join(tmp, "config")); err != nil {
		return Repository{}, err
	}
	now := s.now().UTC()
	repo := Repository{Name: name, ID: newUUID(), Description: description, CreatedAt: now, ModifiedAt: now}
	if err := writeMeta(tmp, repo); err != nil {
		return Repository{}, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return Repository{}, fmt.Errorf("%w: %s", ErrExists, name)
		}
		return Repository{}, err
	}
	if err := fsutil.SyncDir(s.root); err != nil {
		return Repository{}, err
	}
	s.logger.Info("repository created", "repo", name, "id", repo.ID)
	return s.withPath(repo), nil
}

// repoConfig is appended to every new repository's config: pushes over
// HTTP are allowed (the handler authorizes them), pushes may not delete
// the default branch (as in CodeCommit; "refuse" without git's long
// explanation), and an automatic gc runs inside the push rather than as a
// detached process that could outlive it.
const repoConfig = `[http]
	receivepack = true
	uploadpack = true
[uploadpack]
	allowFilter = true
[receive]
	denyDeleteCurrent = refuse
[gc]
	autoDetach = false
`

func appendConfig(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(repoConfig)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get returns a repository's metadata.
func (s *Store) Get(name string) (Repository, error) {
	if err := ValidateName(name); err != nil {
		return Repository{}, err
	}
	repo, err := readMeta(s.dir(name))
	if errors.Is(err, fs.ErrNotExist) {
		return Repository{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return Repository{}, err
	}
	return s.withPath(repo), nil
}

// List returns every repository, sorted by name.
func (s *Store) List() ([]Repository, error) {
	entries, err := os.ReadDir(s.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Repository
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".git")
		if !ok || !e.IsDir() || ValidateName(name) != nil {
			continue
		}
		repo, err := readMeta(filepath.Join(s.root, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s.withPath(repo))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes a repository and returns its last metadata. A push in
// progress finishes first.
func (s *Store) Delete(name string) (Repository, error) {
	if err := ValidateName(name); err != nil {
		return Repository{}, err
	}
	defer s.locks.lock(name)()
	dir := s.dir(name)
	repo, err := readMeta(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Repository{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return Repository{}, err
	}
	trash := filepath.Join(s.root, ".trash-"+name+"-"+newUUID())
	if err := os.Rename(dir, trash); err != nil {
		return Repository{}, err
	}
	if err := fsutil.SyncDir(s.root); err != nil {
		return Repository{}, err
	}
	if err := os.RemoveAll(trash); err != nil {
		s.logger.Warn("remove deleted repository", "repo", name, "dir", trash, "err", err)
	}
	s.logger.Info("repository deleted", "repo", name, "id", repo.ID)
	return s.withPath(repo), nil
}

// SetDescription replaces a repository's description.
func (s *Store) SetDescription(name, description string) (Repository, error) {
	if err := ValidateDescription(description); err != nil {
		return Repository{}, err
	}
	return s.updateMeta(name, func(r *Repository) error {
		r.Description = description
		return nil
	})
}

// updateMeta changes a repository's metadata under its lock.
func (s *Store) updateMeta(name string, fn func(*Repository) error) (Repository, error) {
	if err := ValidateName(name); err != nil {
		return Repository{}, err
	}
	defer s.locks.lock(name)()
	return s.updateMetaLocked(name, fn)
}

func (s *Store) updateMetaLocked(name string, fn func(*Repository) error) (Repository, error) {
	dir := s.dir(name)
	repo, err := readMeta(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Repository{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return Repository{}, err
	}
	if err := fn(&repo); err != nil {
		return Repository{}, err
	}
	repo.ModifiedAt = s.now().UTC()
	if err := writeMeta(dir, repo); err != nil {
		return Repository{}, err
	}
	return s.withPath(repo), nil
}

func (s *Store) withPath(r Repository) Repository {
	r.ClonePath = s.prefix + r.Name
	return r
}

func readMeta(dir string) (Repository, error) {
	data, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return Repository{}, err
	}
	var r Repository
	if err := json.Unmarshal(data, &r); err != nil {
		return Repository{}, fmt.Errorf("repository metadata %s: %w", dir, err)
	}
	return r, nil
}

func writeMeta(dir string, r Repository) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, metaFile), append(data, '\n'), 0o600)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// keyedMutex serialises work per repository name.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns the unlock function.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyedEntry)
	}
	e := k.locks[key]
	if e == nil {
		e = &keyedEntry{}
		k.locks[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
