package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharfhq/wharf/internal/agent"
	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/agentsvc"
	"github.com/wharfhq/wharf/internal/api/codebuild"
	"github.com/wharfhq/wharf/internal/api/codecommit"
	"github.com/wharfhq/wharf/internal/api/codepipeline"
	"github.com/wharfhq/wharf/internal/api/ecs"
	"github.com/wharfhq/wharf/internal/api/elbv2"
	"github.com/wharfhq/wharf/internal/api/lbsvc"
	logsapi "github.com/wharfhq/wharf/internal/api/logs"
	smapi "github.com/wharfhq/wharf/internal/api/secretsmanager"
	ssmapi "github.com/wharfhq/wharf/internal/api/ssm"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/artifacts"
	"github.com/wharfhq/wharf/internal/controller/buildqueue"
	"github.com/wharfhq/wharf/internal/controller/service"
	"github.com/wharfhq/wharf/internal/controller/taskdefpurge"
	"github.com/wharfhq/wharf/internal/controller/taskprune"
	"github.com/wharfhq/wharf/internal/gitrepo"
	"github.com/wharfhq/wharf/internal/logs"
	"github.com/wharfhq/wharf/internal/pipeline"
	"github.com/wharfhq/wharf/internal/registry"
	"github.com/wharfhq/wharf/internal/secrets"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/store"
	"github.com/wharfhq/wharf/internal/tasks"
)

// Config configures a control plane server.
type Config struct {
	Listen        string   // host:port; port 0 picks a free port
	DataDir       string   // embedded etcd data and local files
	Region        string   // AWS region in ARNs
	Account       string   // AWS account id in ARNs
	EtcdEndpoints []string // external etcd; empty starts an embedded one
	Logger        *slog.Logger
	// ShutdownTimeout bounds how long in-flight requests may take to
	// finish after shutdown begins.
	ShutdownTimeout time.Duration
	// PurgeInterval and PurgeGrace control how deleted task definitions
	// (DELETE_IN_PROGRESS) are removed: checked every PurgeInterval
	// (default 10s), purged PurgeGrace (default 1m) after deletion.
	PurgeInterval, PurgeGrace time.Duration
	// StoppedTaskRetention is how long STOPPED tasks stay describable
	// (default 1h); PruneInterval how often they are looked for (1m).
	StoppedTaskRetention, PruneInterval time.Duration
	// SourcePollInterval is how often pipeline sources outside wharf (git
	// URLs) are checked for new commits; 0 means every minute.
	SourcePollInterval time.Duration

	// AgentToken authenticates instance agents; when empty it is read from
	// (or generated into) <DataDir>/agent-token.
	AgentToken string
	// LocalAgent runs an in-process agent on the local Docker engine that
	// joins every ACTIVE cluster (or LocalAgentClusters).
	LocalAgent         bool
	LocalAgentClusters []string
	// LoadBalancer makes sure a `wharf lb` data plane process serves the
	// load balancers of this data directory (started once, reused after
	// restarts, never stopped by the server).
	LoadBalancer bool

	// Registry configures the embedded image registry (registry.go).
	Registry RegistryConfig
}

// Defaults for Config.
const (
	DefaultListen  = "127.0.0.1:7150"
	DefaultRegion  = "us-east-1"
	DefaultAccount = arn.DefaultAccount
)

// Server is a running control plane.
type Server struct {
	cfg      Config
	logger   *slog.Logger
	listener net.Listener
	http     *http.Server
	ready    atomic.Bool
	handler  atomic.Pointer[http.Handler]
	store    *store.Store
	state    *state.State
	logStore *logs.Store
	// artifacts holds build artifacts and pipeline artifacts.
	artifacts *artifacts.Store
	// git serves the hosted git repositories (CodeCommit).
	git *gitrepo.Store
	// pipelines runs pipeline executions (CodePipeline).
	pipelines *pipeline.Engine
	cancel    context.CancelFunc
	loops     sync.WaitGroup
	token     string
	fleet     *agent.Fleet
	registry  *registry.Registry
	// polls ends when shutdown begins: long polls (agents, the load
	// balancer) answer at once instead of holding shutdown for their wait.
	polls     context.Context
	stopPolls context.CancelFunc
}

// Start listens, opens the store and starts serving. It returns once the
// server is ready, or with the error that kept it from becoming ready.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Account == "" {
		cfg.Account = DefaultAccount
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.DataDir == "" {
		return nil, errors.New("server: a data directory is required")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if cfg.PurgeGrace == 0 {
		cfg.PurgeGrace = time.Minute
	}
	s := &Server{cfg: cfg, logger: cfg.Logger.With("component", "server")}
	s.polls, s.stopPolls = context.WithCancel(context.Background())

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s.listener = ln
	s.http = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http server", "err", err)
		}
	}()

	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := s.open(ctx, runCtx); err != nil {
		cancel()
		_ = s.http.Close()
		if s.store != nil {
			_ = s.store.Close()
		}
		return nil, err
	}
	s.ready.Store(true)
	s.logger.Info("wharf server ready", "listen", s.Addr(), "region", cfg.Region,
		"data_dir", cfg.DataDir, "etcd", s.etcdMode())
	return s, nil
}

func (s *Server) etcdMode() string {
	if len(s.cfg.EtcdEndpoints) > 0 {
		return "external"
	}
	return "embedded"
}

func (s *Server) open(ctx, runCtx context.Context) error {
	st, err := store.Open(ctx, store.Config{
		DataDir:   s.cfg.DataDir,
		Endpoints: s.cfg.EtcdEndpoints,
		Logger:    s.cfg.Logger,
	})
	if err != nil {
		return fmt.Errorf("open state store: %w", err)
	}
	s.store = st
	s.state, err = state.New(runCtx, state.Config{
		Store:  st,
		ARNs:   arn.Builder{Region: s.cfg.Region, Account: s.cfg.Account},
		Logger: s.cfg.Logger,
	})
	if err != nil {
		return err
	}
	gw := api.NewGateway(s.cfg.Logger)
	gw.AddJSONService(ecs.New(s.state, s.cfg.Logger).Service())
	logStore, err := logs.Open(filepath.Join(s.cfg.DataDir, "logs"), logs.Options{Logger: s.cfg.Logger})
	if err != nil {
		return fmt.Errorf("open log store: %w", err)
	}
	s.logStore = logStore
	gw.AddJSONService(logsapi.New(logStore, s.cfg.Region, s.cfg.Account, s.cfg.Logger).Service())
	secretStore, err := secrets.Open(s.cfg.DataDir, s.state, s.cfg.Region, s.cfg.Account)
	if err != nil {
		return fmt.Errorf("open secret store: %w", err)
	}
	gw.AddJSONService(ssmapi.New(secretStore, s.cfg.Logger).Service())
	gw.AddJSONService(smapi.New(secretStore, s.cfg.Logger).Service())
	gw.AddJSONService(codebuild.New(s.state, s.cfg.Region, s.cfg.Account, s.cfg.Logger).Service())
	s.git = gitrepo.New(filepath.Join(s.cfg.DataDir, "git"), gitrepo.WithLogger(s.cfg.Logger))
	gw.Handle(s.git.PathPrefix(), s.git.Handler(gitrepo.HandlerOptions{}))
	gw.AddJSONService(codecommit.New(s.git, s.cfg.Region, s.cfg.Account,
		func(context.Context) string { return s.URL() }, s.cfg.Logger).Service())
	gw.Handle("GET /healthz", http.HandlerFunc(s.healthz))
	token, err := s.agentToken()
	if err != nil {
		return err
	}
	s.token = token
	artifactStore, err := artifacts.Open(filepath.Join(s.cfg.DataDir, "artifacts"))
	if err != nil {
		return fmt.Errorf("open artifact store: %w", err)
	}
	s.artifacts = artifactStore
	agentsvc.New(s.state, token, s.cfg.Logger).WithBuilds(artifactStore, secretStore).Register(gw.Handle)
	s.pipelines = s.newPipelineEngine()
	gw.AddJSONService(codepipeline.New(s.state, s.pipelines, s.cfg.Region, s.cfg.Account, s.cfg.Logger).Service())
	s.startPipelinesOnPush(runCtx)
	gw.AddQueryService(elbv2.New(s.state, s.cfg.Region, s.cfg.Account, s.cfg.Logger).Service())
	lbsvc.New(s.state, token, s.cfg.Logger).Register(gw.Handle)
	if err := s.openRegistry(ctx, runCtx, gw); err != nil {
		return err
	}
	var h http.Handler = gw
	s.handler.Store(&h)

	s.startLoop(runCtx, "controllers", func(ctx context.Context) error {
		s.runAsLeader(ctx, s.runControllers)
		return nil
	})
	if s.cfg.LocalAgent {
		if err := s.startLocalAgent(ctx, runCtx); err != nil {
			return err
		}
	}
	if s.cfg.LoadBalancer {
		if err := s.ensureLoadBalancer(); err != nil {
			return err
		}
	}
	return nil
}

// runControllers runs every controller until ctx ends (leadership lost or
// shutdown).
func (s *Server) runControllers(ctx context.Context) {
	var wg sync.WaitGroup
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				s.logger.Error("controller stopped", "controller", name, "err", err)
			}
		}()
	}
	run("taskdefpurge", (&taskdefpurge.Purger{
		State: s.state, Interval: s.cfg.PurgeInterval, Grace: s.cfg.PurgeGrace,
		InUse:  s.taskDefinitionInUse,
		Logger: s.cfg.Logger.With("component", "taskdefpurge"),
	}).Run)
	run("taskprune", (&taskprune.Pruner{
		State: s.state, Retention: s.cfg.StoppedTaskRetention, Interval: s.cfg.PruneInterval,
		Logger: s.cfg.Logger.With("component", "taskprune"),
	}).Run)
	run("service", (&service.Controller{
		State: s.state, Launcher: &tasks.Launcher{State: s.state},
		Logger: s.cfg.Logger.With("component", "service-controller"),
	}).Run)
	run("pipelines", s.pipelines.Run)
	run("pipeline-sources", s.pollPipelineSources)
	run("buildqueue", (&buildqueue.Controller{
		State: s.state, Logger: s.cfg.Logger.With("component", "buildqueue"),
	}).Run)
	wg.Wait()
}

// taskDefinitionInUse reports whether a task still references a revision.
func (s *Server) taskDefinitionInUse(arn string) bool {
	for _, t := range s.state.AllTasks() {
		if t.TaskDefinitionARN == arn {
			return true
		}
	}
	for _, svc := range s.state.AllServices() {
		st, _ := s.state.ServiceState(svc.ClusterName, svc.Name)
		if st != nil && st.Inactive {
			continue
		}
		for _, d := range s.state.Deployments(svc.ClusterName, svc.Name) {
			if d.TaskDefinitionARN == arn && (st == nil || !st.Deployments[d.ID].Inactive) {
				return true
			}
		}
	}
	return false
}

// startLoop runs a controller loop until the server shuts down.
func (s *Server) startLoop(ctx context.Context, name string, run func(context.Context) error) {
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		if err := run(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("controller stopped", "controller", name, "err", err)
		}
	}()
}

// serveHTTP answers health checks before the gateway exists and hands
// everything to the gateway afterwards.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/agent/") || strings.HasPrefix(r.URL.Path, "/lb/") {
		ctx, cancel := context.WithCancel(r.Context())
		stop := context.AfterFunc(s.polls, cancel)
		defer stop()
		defer cancel()
		r = r.WithContext(ctx)
	}
	if h := s.handler.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	if r.URL.Path == "/healthz" {
		s.healthz(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"__type":"ServiceUnavailableException","message":"wharf server is starting"}`))
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL returns the server's base URL.
func (s *Server) URL() string { return "http://" + s.Addr() }

// AgentToken returns the token agents authenticate with.
func (s *Server) AgentToken() string { return s.token }

// Fleet returns the local agent fleet (nil when disabled).
func (s *Server) Fleet() *agent.Fleet { return s.fleet }

// State exposes the state repositories (for in-process agents and tests).
func (s *Server) State() *state.State { return s.state }

// Shutdown stops accepting requests, lets in-flight ones finish within the
// configured timeout and closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	s.stopPolls()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(ctx)
	s.cancel()
	s.loops.Wait()
	if cerr := s.logStore.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if cerr := s.store.Close(); cerr != nil && err == nil {
		err = cerr
	}
	s.logger.Info("wharf server stopped")
	return err
}

// Artifacts returns the artifact store (build and pipeline artifacts).
func (s *Server) Artifacts() *artifacts.Store { return s.artifacts }

// Git returns the hosted git repositories.
func (s *Server) Git() *gitrepo.Store { return s.git }
