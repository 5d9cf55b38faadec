package buildrun

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/agent/logcapture"
	"github.com/wharfhq/wharf/internal/agentapi"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

// Labels on build containers: a restarted agent finds and removes the
// containers of builds it no longer runs.
const (
	LabelBuild    = "wharf.build"
	LabelInstance = "wharf.instance"
	LabelDataDir  = "wharf.data-dir"
)

// Server is what a build needs from the wharf server (the agent's client).
type Server interface {
	PutBuildState(ctx context.Context, id string, st model.BuildState) error
	UploadArtifact(ctx context.Context, key string, body io.Reader) (agentapi.ArtifactInfo, error)
	DownloadArtifact(ctx context.Context, key string, w io.Writer) error
	ResolveSecret(ctx context.Context, kind, ref string) (string, error)
}

// Config configures a Runner.
type Config struct {
	Server  Server
	Runtime runtime.Runtime
	Logs    *logcapture.Capturer // nil: build output goes to the agent's log only
	// WorkDir holds the builds' workspaces; CacheDir the LOCAL caches.
	WorkDir  string
	CacheDir string
	// DataDir and Instance are recorded on build containers.
	DataDir  string
	Instance string
	// ServerURL, Region and Token let builds use the AWS CLI and SDKs
	// against wharf (AWS_ENDPOINT_URL, AWS_REGION, credentials).
	ServerURL string
	Region    string
	Token     string
	// Registry is the host:port of wharf's registry; RegistryAuth returns
	// its login (user, password), written into the build's Docker config
	// so that `docker push` works without a `docker login`.
	Registry     string
	RegistryAuth func() (user, password string, ok bool)
	DockerCLI    string // "docker" when empty
	Now          func() time.Time
	Logger       *slog.Logger
}

// Runner runs the builds placed on one container instance.
type Runner struct {
	cfg    Config
	quit   <-chan struct{} // closed when the agent stops
	logger *slog.Logger

	mu      sync.Mutex
	running map[string]*running // by build id
	wg      sync.WaitGroup
}

type running struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Runner; builds it starts stop when agentCtx ends.
func New(agentCtx context.Context, cfg Config) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DockerCLI == "" {
		cfg.DockerCLI = "docker"
	}
	return &Runner{cfg: cfg, quit: agentCtx.Done(), logger: cfg.Logger.With("component", "buildrun"), running: map[string]*running{}}
}

// Sync brings the running builds in line with the desired ones: it starts
// new builds, stops those with StopRequested, and fails builds the server
// believes run here but this agent does not (they died with an earlier
// agent process).
func (r *Runner) Sync(ctx context.Context, desired []agentapi.DesiredBuild) {
	for _, d := range desired {
		r.mu.Lock()
		run := r.running[d.Build.ID]
		r.mu.Unlock()
		switch {
		case run != nil:
			if d.Build.StopRequested {
				run.cancel()
			}
		case d.State != nil && d.State.Complete:
		case !pickedUp(d.State) && !d.Build.StopRequested:
			r.start(ctx, d)
		default:
			r.abandon(ctx, d)
		}
	}
}

// pickedUp reports whether an agent already started the build.
func pickedUp(st *model.BuildState) bool {
	if st == nil {
		return false
	}
	for _, p := range st.Phases {
		if p.Type != phaseSubmitted && p.Type != phaseQueued {
			return true
		}
	}
	return false
}

// abandon completes a build that no process of this agent runs: stopped
// before it started, or orphaned by an agent restart.
func (r *Runner) abandon(ctx context.Context, d agentapi.DesiredBuild) {
	p := newProgress(d.State)
	now := r.cfg.Now()
	if d.Build.StopRequested && !pickedUp(d.State) {
		p.complete(model.BuildStopped, now, nil)
	} else {
		p.complete(model.BuildFault, now, &model.BuildPhaseContext{
			StatusCode: "CLIENT_ERROR",
			Message:    "the build was interrupted: the wharf agent running it restarted",
		})
	}
	if err := r.cfg.Server.PutBuildState(ctx, d.Build.ID, p.state()); err != nil {
		r.logger.Warn("report abandoned build", "build", d.Build.ID, "err", err)
	}
	r.removeContainers(ctx, d.Build.ID)
}

func (r *Runner) start(ctx context.Context, d agentapi.DesiredBuild) {
	bctx, cancel := context.WithCancel(ctx)
	run := &running{cancel: cancel, done: make(chan struct{})}
	r.mu.Lock()
	r.running[d.Build.ID] = run
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(run.done)
		defer cancel()
		r.execute(bctx, d)
		r.mu.Lock()
		delete(r.running, d.Build.ID)
		r.mu.Unlock()
	}()
}

// Wait blocks until every started build has finished.
func (r *Runner) Wait() { r.wg.Wait() }

// Running returns the ids of the builds in progress.
func (r *Runner) Running() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.running))
	for id := range r.running {
		out = append(out, id)
	}
	return out
}

// RemoveOrphans kills the processes and removes the build containers and
// workspaces of this instance that belong to no running build: what a
// killed agent left behind.
func (r *Runner) RemoveOrphans(ctx context.Context) {
	cs, err := r.cfg.Runtime.List(ctx, map[string]string{LabelInstance: r.cfg.Instance, LabelDataDir: r.cfg.DataDir})
	if err != nil {
		r.logger.Warn("list build containers", "err", err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.killOrphans()
	for _, c := range cs {
		id := c.Labels[LabelBuild]
		if id == "" || r.running[id] != nil {
			continue
		}
		if err := r.cfg.Runtime.Remove(ctx, c.ID); err != nil {
			r.logger.Warn("remove orphaned build container", "build", id, "err", err)
		}
	}
	entries, _ := os.ReadDir(r.cfg.WorkDir)
	for _, e := range entries {
		busy := false
		for id := range r.running {
			if workspaceName(id) == e.Name() {
				busy = true
			}
		}
		if !busy {
			_ = os.RemoveAll(filepath.Join(r.cfg.WorkDir, e.Name()))
		}
	}
}

func (r *Runner) removeContainers(ctx context.Context, buildID string) {
	cs, err := r.cfg.Runtime.List(ctx, map[string]string{LabelBuild: buildID, LabelDataDir: r.cfg.DataDir})
	if err != nil {
		return
	}
	for _, c := range cs {
		_ = r.cfg.Runtime.Remove(ctx, c.ID)
	}
}

// workspaceName is the directory of a build under WorkDir: its UUID.
func workspaceName(buildID string) string {
	for i := len(buildID) - 1; i >= 0; i-- {
		if buildID[i] == ':' {
			return buildID[i+1:]
		}
	}
	return fmt.Sprintf("%x", buildID)
}
