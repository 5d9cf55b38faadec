// Package agentsvc serves wharf's agent protocol (see internal/agentapi):
// instance agents long-poll for the tasks placed on them and report what
// those tasks do. It is the only way agents reach the state; they never
// talk to etcd.
package agentsvc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/api"

	"github.com/wharfhq/wharf/internal/agentapi"
	"github.com/wharfhq/wharf/internal/artifacts"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// heartbeatEvery limits how often a polling agent's heartbeat is written.
const heartbeatEvery = 15 * time.Second

// maxWait caps a long poll.
const maxWait = 60 * time.Second

// Service serves the agent protocol.
type Service struct {
	st     *state.State
	token  string
	logger *slog.Logger

	artifacts *artifacts.Store // nil: no artifact uploads
	secrets   SecretResolver   // nil: builds cannot resolve secrets

	mu       sync.Mutex
	lastBeat map[string]time.Time
}

// SecretResolver resolves buildspec parameter-store and secrets-manager
// references (internal/secrets.Store).
type SecretResolver interface {
	Resolve(ctx context.Context, kind, ref string) (string, error)
}

// WithBuilds lets agents upload build artifacts into store and resolve
// secrets with resolver.
func (s *Service) WithBuilds(store *artifacts.Store, resolver SecretResolver) *Service {
	s.artifacts, s.secrets = store, resolver
	return s
}

// New returns the agent protocol service; requests must carry token.
func New(st *state.State, token string, logger *slog.Logger) *Service {
	return &Service{st: st, token: token, logger: logger.With("component", "agentsvc"), lastBeat: map[string]time.Time{}}
}

// Register mounts the service's routes.
func (s *Service) Register(handle func(pattern string, h http.Handler)) {
	handle("GET "+agentapi.PathPrefix+"clusters/{cluster}/instances/{id}/tasks", s.auth(s.desiredTasks))
	handle("PUT "+agentapi.PathPrefix+"clusters/{cluster}/tasks/{id}/state", s.auth(s.putState))
	handle("GET "+agentapi.PathPrefix+"clusters/{cluster}/instances/{id}/builds", s.auth(s.desiredBuilds))
	handle("PUT "+agentapi.PathPrefix+"builds/{id}/state", s.auth(s.putBuildState))
	if s.artifacts != nil {
		handle("PUT "+agentapi.PathPrefix+"artifacts/{key...}", s.auth(s.putArtifact))
		handle("GET "+agentapi.PathPrefix+"artifacts/{key...}", s.auth(s.getArtifact))
	}
	if s.secrets != nil {
		handle("POST "+agentapi.PathPrefix+"secrets/resolve", s.auth(s.resolveSecret))
	}
}

func (s *Service) auth(next http.HandlerFunc) http.Handler { return api.BearerAuth(s.token, next) }

func (s *Service) desiredTasks(w http.ResponseWriter, r *http.Request) {
	cluster, id := r.PathValue("cluster"), r.PathValue("id")
	ci, ok := s.st.Instance(cluster, id)
	if !ok || ci.Status == model.InstanceInactive {
		http.Error(w, "container instance "+id+" is not registered in cluster "+cluster, http.StatusNotFound)
		return
	}
	s.heartbeat(r.Context(), cluster, id)
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	wait, _ := strconv.Atoi(r.URL.Query().Get("wait"))
	if after > 0 && wait > 0 {
		s.waitForChange(r.Context(), "tasks/"+cluster+"/", after, min(time.Duration(wait)*time.Second, maxWait))
	}
	writeJSON(w, s.snapshot(cluster, id))
}

// waitForChange returns once a key under prefix changed after revision
// after, or when d elapsed.
func (s *Service) waitForChange(ctx context.Context, prefix string, after int64, d time.Duration) {
	if s.st.Revision() > after && s.changedSince(prefix, after) {
		return
	}
	changes, cancel := s.st.Cache().Subscribe(prefix)
	defer cancel()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ch, ok := <-changes:
			if !ok || ch.Revision > after {
				return
			}
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// changedSince reports whether a key under prefix changed after rev.
func (s *Service) changedSince(prefix string, rev int64) bool {
	for _, e := range s.st.Cache().List(prefix) {
		if e.ModRevision > rev {
			return true
		}
	}
	return false
}

func (s *Service) snapshot(cluster, id string) agentapi.DesiredTasks {
	out := agentapi.DesiredTasks{Revision: s.st.Revision(), Tasks: []agentapi.DesiredTask{}}
	for _, t := range s.st.Tasks(cluster) {
		if t.InstanceID != id {
			continue
		}
		st, _ := s.st.TaskState(cluster, t.ID)
		if st != nil && st.LastStatus >= model.TaskStopped {
			continue
		}
		td, ok := s.st.TaskDefinition(t.Family, t.Revision)
		if !ok {
			continue
		}
		out.Tasks = append(out.Tasks, agentapi.DesiredTask{Task: *t, TaskDefinition: *td, State: st})
	}
	return out
}

func (s *Service) heartbeat(ctx context.Context, cluster, id string) {
	key := cluster + "/" + id
	now := s.st.Now()
	s.mu.Lock()
	due := now.Sub(s.lastBeat[key]) >= heartbeatEvery
	if due {
		s.lastBeat[key] = now
	}
	s.mu.Unlock()
	if due {
		if err := s.st.RecordHeartbeat(ctx, cluster, id); err != nil {
			s.logger.Warn("record heartbeat", "instance", id, "err", err)
		}
	}
}

func (s *Service) putState(w http.ResponseWriter, r *http.Request) {
	cluster, id := r.PathValue("cluster"), r.PathValue("id")
	var st model.TaskState
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&st); err != nil {
		http.Error(w, "bad task state: "+err.Error(), http.StatusBadRequest)
		return
	}
	err := s.st.PutTaskState(r.Context(), cluster, id, st)
	switch {
	case err == nil, errors.Is(err, state.ErrStaleState):
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, state.ErrNotFound):
		http.Error(w, "task "+id+" not found", http.StatusNotFound)
	default:
		s.logger.Error("store task state", "task", id, "err", err)
		http.Error(w, "cannot store task state", http.StatusServiceUnavailable)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
