package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/store"
	"github.com/wharfhq/wharf/internal/store/cache"
)

// Sentinel errors.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrInUse means a resource cannot change because others depend on it.
	ErrInUse = errors.New("in use")
	// ErrInvalidState means the resource's status forbids the change.
	ErrInvalidState = errors.New("invalid state")
)

// Key prefixes.
const (
	prefixClusters  = "clusters/"
	prefixFamilies  = "families/"
	prefixTaskDefs  = "taskdefs/"
	prefixInstances = "instances/"
	prefixSettings  = "settings/"
)

// State holds the repositories. It is safe for concurrent use.
type State struct {
	store  *store.Store
	cache  *cache.Cache
	now    func() time.Time
	logger *slog.Logger
	// ARNs builds ARNs for the configured region and account.
	ARNs arn.Builder
}

// Config configures New.
type Config struct {
	Store  *store.Store
	ARNs   arn.Builder
	Now    func() time.Time // defaults to time.Now
	Logger *slog.Logger
}

// New builds the repositories and primes the read cache; the cache follows
// the store until ctx is cancelled.
func New(ctx context.Context, cfg Config) (*State, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s := &State{store: cfg.Store, now: cfg.Now, ARNs: cfg.ARNs, logger: logger.With("component", "state")}
	s.cache = cache.New(cfg.Store, s.logger)
	s.cache.Register(prefixClusters, decoder[model.Cluster]())
	s.cache.Register(prefixFamilies, decoder[familyRecord]())
	s.cache.Register(prefixTaskDefs, decoder[model.TaskDefinition]())
	s.cache.Register(prefixInstances, decoder[model.ContainerInstance]())
	s.cache.Register(prefixSettings, decoder[model.AccountSetting]())
	s.cache.Register(prefixTasks, decoder[model.Task]())
	s.cache.Register(prefixTaskStates, decoder[model.TaskState]())
	s.cache.Register(prefixPlacements, decoder[placementSeq]())
	s.cache.Register(prefixAgents, decoder[AgentHeartbeat]())
	s.cache.Register(prefixServices, decoder[model.Service]())
	s.cache.Register(prefixDeployments, decoder[model.Deployment]())
	s.cache.Register(prefixServiceStates, decoder[model.ServiceState]())
	registerELB(s)
	registerSecrets(s)
	registerBuilds(s)
	registerPipelines(s)
	if err := s.cache.Start(ctx); err != nil {
		return nil, fmt.Errorf("prime state cache: %w", err)
	}
	return s, nil
}

// Now returns the current time of the state's clock.
func (s *State) Now() time.Time { return s.now() }

// Cache exposes the read cache to controllers that subscribe to changes.
func (s *State) Cache() *cache.Cache { return s.cache }

func decoder[T any]() cache.Decoder {
	return func(_ string, value []byte) (any, error) {
		v := new(T)
		if err := json.Unmarshal(value, v); err != nil {
			return nil, err
		}
		return v, nil
	}
}

// get reads a typed object from the cache.
func get[T any](s *State, key string) (*T, int64, bool) {
	obj, rev, ok := s.cache.Get(key)
	if !ok {
		return nil, 0, false
	}
	v, ok := obj.(*T)
	return v, rev, ok
}

// list reads typed objects under a prefix from the cache, sorted by key.
func list[T any](s *State, prefix string) []*T {
	entries := s.cache.List(prefix)
	out := make([]*T, 0, len(entries))
	for _, e := range entries {
		if v, ok := e.Obj.(*T); ok {
			out = append(out, v)
		}
	}
	return out
}

// synced waits until the cache reflects revision rev.
func (s *State) synced(ctx context.Context, rev int64) error {
	return s.cache.WaitForRevision(ctx, rev)
}

// create stores a new object and waits for the cache.
func create[T any](ctx context.Context, s *State, key string, v *T) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return err
	}
	rev, err := s.store.Create(ctx, key, buf)
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("%s: %w", key, ErrExists)
	}
	if err != nil {
		return err
	}
	return s.synced(ctx, rev)
}

// mutate applies fn to the stored object at key with compare-and-swap,
// retrying on concurrent writers, and returns the stored result. fn must be
// free of side effects: it may run more than once.
func mutate[T any](ctx context.Context, s *State, key string, fn func(*T) error) (*T, error) {
	for attempt := 0; ; attempt++ {
		kv, err := s.store.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal(kv.Value, v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", key, err)
		}
		if err := fn(v); err != nil {
			return nil, err
		}
		buf, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(buf, kv.Value) {
			// Nothing changed: level-triggered loops rewrite what they
			// read, and an identical write would only cost etcd a commit.
			return v, s.synced(ctx, kv.ModRevision)
		}
		rev, err := s.store.Update(ctx, key, buf, kv.ModRevision)
		if errors.Is(err, store.ErrConflict) && attempt < 100 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return v, s.synced(ctx, rev)
	}
}

// remove deletes key and waits for the cache.
func (s *State) remove(ctx context.Context, key string) error {
	rev, err := s.store.Delete(ctx, key, 0)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return err
	}
	return s.synced(ctx, rev)
}

// WaitFor blocks until the cache reflects store revision rev.
func (s *State) WaitFor(ctx context.Context, rev int64) error { return s.synced(ctx, rev) }

// Revision returns the store revision the cache reflects.
func (s *State) Revision() int64 { return s.cache.Revision() }
