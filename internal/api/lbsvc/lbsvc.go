// Package lbsvc serves the load balancer protocol (see internal/lbapi):
// the wharf lb data plane long-polls its whole configuration (every load
// balancer, listener, rule and target group with its current targets,
// draining ones included) and reports target health, which becomes what
// DescribeTargetHealth shows. It is the only writer of target health.
package lbsvc

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/wharfhq/wharf/internal/api"

	"github.com/wharfhq/wharf/internal/api/elbv2"
	"github.com/wharfhq/wharf/internal/lbapi"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// maxWait caps a long poll.
const maxWait = 60 * time.Second

// maxReport caps a health report body.
const maxReport = 8 << 20

// Service serves the load balancer protocol.
type Service struct {
	st     *state.State
	token  string
	logger *slog.Logger
}

// New returns the load balancer protocol service; requests must carry
// token as a bearer token.
func New(st *state.State, token string, logger *slog.Logger) *Service {
	return &Service{st: st, token: token, logger: logger.With("component", "lbsvc")}
}

// Register mounts the service's routes.
func (s *Service) Register(handle func(pattern string, h http.Handler)) {
	handle("GET "+lbapi.PathPrefix+"config", s.auth(s.config))
	handle("PUT "+lbapi.PathPrefix+"health", s.auth(s.health))
}

func (s *Service) auth(next http.HandlerFunc) http.Handler { return api.BearerAuth(s.token, next) }

// config answers with the configuration once its revision passes after,
// or when wait seconds elapsed.
func (s *Service) config(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	wait, _ := strconv.Atoi(r.URL.Query().Get("wait"))
	if wait > 0 {
		s.waitForChange(r.Context(), after, min(time.Duration(wait)*time.Second, maxWait))
	}
	writeJSON(w, s.Snapshot())
}

func (s *Service) waitForChange(ctx context.Context, after int64, d time.Duration) {
	changes, cancel := s.st.Cache().Subscribe(state.ELBGenerationKey())
	defer cancel()
	if s.st.ELBRevision() > after {
		return
	}
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

// Snapshot returns the current configuration of the data plane.
func (s *Service) Snapshot() lbapi.Config {
	cfg := lbapi.Config{
		Revision:      s.st.ELBRevision(),
		LoadBalancers: []model.LoadBalancer{},
		Listeners:     []model.Listener{},
		Rules:         []model.Rule{},
		TargetGroups:  []lbapi.TargetGroup{},
	}
	for _, lb := range s.st.LoadBalancers() {
		cfg.LoadBalancers = append(cfg.LoadBalancers, *lb)
	}
	for _, l := range s.st.AllListeners() {
		cfg.Listeners = append(cfg.Listeners, *l)
	}
	for _, r := range s.st.AllRules() {
		cfg.Rules = append(cfg.Rules, *r)
	}
	for _, tg := range s.st.TargetGroups() {
		g := lbapi.TargetGroup{TargetGroup: *tg, Targets: []model.Target{}}
		if g.Attributes == nil {
			g.Attributes = map[string]string{}
		}
		// The data plane gets every attribute, defaults included.
		for _, k := range []string{"deregistration_delay.timeout_seconds", "slow_start.duration_seconds",
			"load_balancing.algorithm.type", "stickiness.enabled", "stickiness.type", "stickiness.lb_cookie.duration_seconds"} {
			if _, ok := g.Attributes[k]; !ok {
				g.Attributes[k] = elbv2.TargetGroupAttribute(tg, k)
			}
		}
		for _, t := range s.st.Targets(tg) {
			g.Targets = append(g.Targets, *t)
		}
		cfg.TargetGroups = append(cfg.TargetGroups, g)
	}
	return cfg
}

func (s *Service) health(w http.ResponseWriter, r *http.Request) {
	var rep lbapi.HealthReport
	if err := json.NewDecoder(io.LimitReader(r.Body, maxReport)).Decode(&rep); err != nil {
		http.Error(w, "bad health report: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.st.PutTargetHealth(r.Context(), rep.Targets, elbv2.DeregistrationDelay); err != nil {
		s.logger.Error("store target health", "err", err)
		http.Error(w, "cannot store target health", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
