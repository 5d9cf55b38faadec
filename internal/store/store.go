package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// DefaultPrefix is the key namespace used when Config.Prefix is empty.
const DefaultPrefix = "/wharf/"

// Config selects embedded or external etcd and the key namespace.
type Config struct {
	// DataDir is required in embedded mode; etcd data goes to DataDir/etcd
	// and the directory lock is DataDir/wharf.lock.
	DataDir string
	// Endpoints selects an external etcd cluster; when set, no embedded etcd
	// is started and no directory lock is taken.
	Endpoints []string
	// Prefix is the key namespace, DefaultPrefix when empty. A trailing "/"
	// is added when missing so that "/a" and "/ab" never overlap.
	Prefix string
	// Logger receives store and etcd diagnostics; slog.Default when nil.
	Logger *slog.Logger
}

// Store is wharf's handle on etcd. It is safe for concurrent use.
type Store struct {
	client *clientv3.Client
	prefix string
	logger *slog.Logger

	etcd *embed.Etcd // nil in external mode
	lock *dirLock    // nil in external mode

	stopping  atomic.Bool // set before the embedded server is stopped
	ready     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// openTimeout bounds how long Open waits for etcd to become usable when the
// caller's context has no earlier deadline.
const openTimeout = 60 * time.Second

// Open connects to etcd, starting an embedded single-member server first
// when cfg.Endpoints is empty. It returns once the store is usable.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	base := cfg.Logger
	if base == nil {
		base = slog.Default()
	}
	logger := base.With("component", "store")
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()

	s := &Store{
		prefix: prefix,
		logger: logger,
		ready:  make(chan struct{}),
		closed: make(chan struct{}),
	}
	endpoints := cfg.Endpoints
	if len(endpoints) == 0 {
		if cfg.DataDir == "" {
			return nil, errors.New("store: Config.DataDir is required for embedded etcd")
		}
		lock, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		e, clientURL, err := startEmbedded(ctx, cfg.DataDir, base, &s.stopping)
		if err != nil {
			lock.release()
			return nil, err
		}
		s.lock, s.etcd = lock, e
		endpoints = []string{clientURL}
	}

	client, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 10 * time.Second,
		Context:     context.WithoutCancel(ctx),
		Logger:      quietZap(base),
		// Keep the connection alive across idle periods so a dead peer is
		// noticed and the watch is re-established promptly.
		DialKeepAliveTime:    30 * time.Second,
		DialKeepAliveTimeout: 10 * time.Second,
	})
	if err != nil {
		s.stopServer()
		return nil, fmt.Errorf("store: connect to etcd %v: %w", endpoints, err)
	}
	s.client = client
	// A linearizable read proves the cluster has a leader and serves us.
	if _, err := s.Revision(ctx); err != nil {
		_ = client.Close()
		s.stopServer()
		return nil, fmt.Errorf("store: etcd %v not usable: %w", endpoints, err)
	}
	close(s.ready)
	logger.Info("store open", "endpoints", endpoints, "prefix", prefix, "embedded", s.etcd != nil)
	return s, nil
}

// Close closes the client, stops the embedded etcd gracefully and releases
// the data-directory lock. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.closeErr = s.client.Close()
		if errors.Is(s.closeErr, context.Canceled) {
			s.closeErr = nil
		}
		s.stopServer()
	})
	return s.closeErr
}

func (s *Store) stopServer() {
	s.stopping.Store(true)
	if s.etcd != nil {
		s.etcd.Close()
	}
	if s.lock != nil {
		s.lock.release()
	}
}

// Ready is closed once the store is usable. Open only returns after that,
// so it is mainly for health endpoints that are wired before Open returns.
func (s *Store) Ready() <-chan struct{} { return s.ready }

// Client is the raw etcd client, for things the Store API does not cover
// (leader election, compaction in tests). Keys there are absolute.
func (s *Store) Client() *clientv3.Client { return s.client }

// Prefix is the absolute key namespace this store operates in.
func (s *Store) Prefix() string { return s.prefix }

// Revision returns the current revision of the etcd cluster (a
// linearizable read).
func (s *Store) Revision(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, s.prefix, clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("store: read revision: %w", mapErr(err))
	}
	return resp.Header.Revision, nil
}

func (s *Store) abs(key string) string { return s.prefix + key }

func (s *Store) rel(key []byte) string { return strings.TrimPrefix(string(key), s.prefix) }
