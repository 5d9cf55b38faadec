package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/fsutil"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/distribution/distribution/v3/registry/storage"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	"github.com/sirupsen/logrus"
)

// Config configures a Registry.
type Config struct {
	// Dir is the storage root, normally <data-dir>/registry. Image content
	// lives under Dir/docker (the library's layout), wharf's own records
	// (repositories, digest aliases, the token key) under Dir/wharf.
	Dir string
	// Account and Region go into repository ARNs.
	Account, Region string
	// Address is the host:port clients use to reach the registry; it is
	// the host part of repository URIs and GetAuthorizationToken's
	// proxyEndpoint.
	Address string
	// Auth demands credentials on /v2/: user AWS with a token from
	// GetAuthorizationToken, or user wharf-agent with AgentToken.
	Auth       bool
	AgentToken string
	// AutoCreate creates a repository on its first push instead of
	// refusing the push as ECR does.
	AutoCreate bool
	// SparseManifests accepts manifests pushed to /v2/ whose layers or
	// child manifests are not in the repository (the OCI spec allows a
	// registry either way; ECR refuses them, as wharf does by default).
	SparseManifests bool
	// GCInterval is how often unreferenced blobs are collected (default
	// 1h; negative disables the loop). GCGrace protects blobs uploaded or
	// read within it (default 1h): a push uploads layers before the
	// manifest that references them.
	GCInterval, GCGrace time.Duration
	// LifecycleInterval is how often lifecycle policies are applied
	// (default 1h; negative disables the loop).
	LifecycleInterval time.Duration
	Logger            *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Registry is the embedded registry. Serve it with ServeHTTP under /v2/;
// run its maintenance loops with Run.
type Registry struct {
	cfg     Config
	log     *slog.Logger
	app     *handlers.App
	driver  storagedriver.StorageDriver
	ns      distribution.Namespace
	repos   *repoStore
	aliases *aliasStore
	refs    *referrerIndex
	tokens  *tokenIssuer
	locks   keyedMutex
	access  *accessLog
	// gc is held for writing while garbage is collected and for reading
	// by every request that commits content (manifest PUT, blob upload
	// completion, mounts), so that a mark never misses a commit.
	gc       sync.RWMutex
	previews sync.Map // repository name → *LifecyclePreview
}

var logrusOnce sync.Once

// New opens (creating if needed) the registry stored under cfg.Dir.
func New(ctx context.Context, cfg Config) (*Registry, error) {
	if cfg.Dir == "" {
		return nil, errors.New("registry: a storage directory is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.GCInterval == 0 {
		cfg.GCInterval = time.Hour
	}
	if cfg.GCGrace == 0 {
		cfg.GCGrace = time.Hour
	}
	if cfg.LifecycleInterval == 0 {
		cfg.LifecycleInterval = time.Hour
	}
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	log := cfg.Logger.With("component", "registry")
	routeLibraryLogs(cfg.Logger)
	meta := filepath.Join(cfg.Dir, "wharf")
	if err := os.MkdirAll(meta, 0o700); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	secret, err := readOrCreateSecret(filepath.Join(meta, "http-secret"))
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	r := &Registry{cfg: cfg, log: log, access: newAccessLog(cfg.Now)}
	r.driver = filesystem.New(filesystem.DriverParameters{RootDirectory: cfg.Dir, MaxThreads: 100})
	r.ns, err = storage.NewRegistry(ctx, r.driver, storage.EnableDelete,
		storage.ManifestURLsAllowRegexp(regexp.MustCompile(allowedLayerURLs)))
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if r.repos, err = openRepoStore(filepath.Join(meta, "repositories")); err != nil {
		return nil, err
	}
	if r.aliases, err = openAliasStore(filepath.Join(meta, "aliases")); err != nil {
		return nil, err
	}
	if r.tokens, err = openTokenIssuer(filepath.Join(meta, "token-key"), cfg.Now); err != nil {
		return nil, err
	}
	r.refs = newReferrerIndex(r.scanReferrers)
	r.app = handlers.NewApp(ctx, libraryConfig(cfg.Dir, secret, cfg.SparseManifests))
	return r, nil
}

// allowedLayerURLs is what non-distributable layers may point at.
const allowedLayerURLs = `^https?://`

// libraryConfig is the distribution configuration wharf runs the library
// with: filesystem storage, deletes on, no redirects, layer URLs allowed
// (non-distributable layers) and sparse indexes accepted.
func libraryConfig(dir, secret string, sparse bool) *configuration.Configuration {
	cfg := &configuration.Configuration{}
	cfg.Version = "0.1"
	cfg.Storage = configuration.Storage{
		"filesystem": configuration.Parameters{"rootdirectory": dir, "maxthreads": 100},
		"delete":     configuration.Parameters{"enabled": true},
		"redirect":   configuration.Parameters{"disable": true},
	}
	cfg.HTTP.Secret = secret
	cfg.Validation.Manifests.URLs.Allow = []string{allowedLayerURLs}
	cfg.Validation.Manifests.Indexes.Platforms = "none"
	if sparse {
		cfg.Middleware = map[string][]configuration.Middleware{"repository": {{Name: sparseMiddleware}}}
	}
	return cfg
}

// routeLibraryLogs sends the library's logrus output (process-wide; wharf
// itself does not use logrus) to slog at debug level.
func routeLibraryLogs(logger *slog.Logger) {
	logrusOnce.Do(func() {
		logrus.SetLevel(logrus.WarnLevel)
		logrus.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true, DisableQuote: true})
		logrus.SetOutput(&slogWriter{log: logger.With("component", "registry/distribution")})
	})
}

type slogWriter struct{ log *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	// The library logs every 4xx answer as an error; they are the
	// clients' business, so all of it goes to debug.
	w.log.Debug(strings.TrimSpace(string(p)))
	return len(p), nil
}

func readOrCreateSecret(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	s := hex.EncodeToString(b[:])
	return s, writeFileAtomic(path, []byte(s+"\n"), 0o600)
}

// writeFileAtomic replaces a file durably (see fsutil.WriteFileAtomic).
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return fsutil.WriteFileAtomic(path, data, mode)
}

// Run runs garbage collection and lifecycle enforcement until ctx ends.
func (r *Registry) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	loop := func(name string, every time.Duration, fn func(context.Context) error) {
		if every < 0 {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if err := fn(ctx); err != nil && ctx.Err() == nil {
					r.log.Error("registry maintenance failed", "task", name, "err", err)
				}
			}
		}()
	}
	loop("lifecycle", r.cfg.LifecycleInterval, func(ctx context.Context) error {
		_, err := r.ApplyLifecyclePolicies(ctx)
		return err
	})
	loop("gc", r.cfg.GCInterval, func(ctx context.Context) error {
		_, err := r.CollectGarbage(ctx)
		return err
	})
	wg.Wait()
	return ctx.Err()
}

// Close stops the library's background work.
func (r *Registry) Close() error { return r.app.Shutdown() }

// Address is the host:port of repository URIs.
func (r *Registry) Address() string { return r.cfg.Address }

// SetAddress changes the advertised address (used once the listener is
// known, when the configured port was 0).
func (r *Registry) SetAddress(addr string) { r.cfg.Address = addr }

// keyedMutex serialises work per key (a repository name).
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) Lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedEntry{}
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

// drain reads and discards the rest of r (to keep connections reusable).
func drain(rd io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(rd, 1<<20)) }
