package taskrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

// Config is what a Runner needs. Runtime, Task, TaskDef and Report are
// required; the rest has defaults.
type Config struct {
	Runtime runtime.Runtime
	Task    model.Task           // desired spec (DesiredStatus RUNNING or STOPPED)
	TaskDef model.TaskDefinition // the task's definition
	Prior   *model.TaskState     // last state the server has (agent restart); may be nil
	// Report is called on every change with the full state, Version
	// incremented. It must not block long.
	Report func(model.TaskState)
	Logs   LogCapture // may be nil: awslogs output is then not captured
	// Labels are extra labels on every container (cluster, data dir, instance).
	Labels map[string]string
	// AwsvpcNetwork is the Docker network awsvpc tasks' pause containers
	// join; PauseImage is their image (see EnsurePauseImage).
	AwsvpcNetwork string
	PauseImage    string
	Now           func() time.Time                     // default time.Now
	After         func(time.Duration) <-chan time.Time // default time.After
	Logger        *slog.Logger                         // default: discard
	// StopTimeoutDefault is ECS_CONTAINER_STOP_TIMEOUT (default 30s), for
	// containers without stopTimeout.
	StopTimeoutDefault time.Duration
	// StartTimeoutDefault is ECS_CONTAINER_START_TIMEOUT (default 3m), for
	// dependencies without startTimeout.
	StartTimeoutDefault time.Duration
}

// LogCapture ships container output to CloudWatch-Logs-style streams.
type LogCapture interface {
	// Capture follows a container's stdout/stderr into the awslogs
	// group/stream until ctx ends or the container's log stream ends.
	Capture(ctx context.Context, containerID string, group, stream string, since time.Time)
}

// Timing the runner uses besides the configured timeouts.
const (
	// resyncInterval: how often a waiting runner re-inspects its
	// containers, in case the event stream missed something.
	resyncInterval = 30 * time.Second
	// retryDelay: how long to wait before retrying a runtime call that
	// failed for a reason other than the task itself.
	retryDelay = 2 * time.Second
	// adoptedCaptureOverlap: when adopting a running container, log capture
	// restarts this far in the past (lines in that window may be shipped
	// twice; lines older than that, written while no agent ran, are lost).
	adoptedCaptureOverlap = 5 * time.Second
)

// Runner drives one task to its desired status and is the only writer of
// its observed state. See doc.go.
type Runner struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	desired   model.Task
	published model.TaskState
	news      map[string]bool // container IDs with events to look at
	wake      chan struct{}

	// Owned by the Run goroutine.
	st           model.TaskState
	lastReported model.TaskState
	ctrs         []*ctr
	failure      *failure
	pauseID      string
	pulled       bool
	suffix       string
	adopting     bool // Run is adopting existing containers
	captures     sync.WaitGroup
}

// ctr is the runner's own knowledge of one container beyond ContainerState.
type ctr struct {
	def          model.ContainerDefinition
	deps         []dependency
	startTimeout time.Duration
	id           string // runtime ID, once created
	dockerName   string
	startedAt    time.Time
	stopSent     bool
	capturing    bool
}

// New returns a Runner for cfg.Task; call Run to drive it.
func New(cfg Config) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StopTimeoutDefault <= 0 {
		cfg.StopTimeoutDefault = 30 * time.Second
	}
	if cfg.StartTimeoutDefault <= 0 {
		cfg.StartTimeoutDefault = 3 * time.Minute
	}
	if cfg.Report == nil {
		cfg.Report = func(model.TaskState) {}
	}
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	r := &Runner{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "taskrun", "task", cfg.Task.ARN),
		desired: cfg.Task,
		news:    map[string]bool{},
		wake:    make(chan struct{}, 1),
		suffix:  hex.EncodeToString(b),
	}
	r.st = model.TaskState{TaskARN: cfg.Task.ARN, LastStatus: model.TaskProvisioning, HealthStatus: model.HealthUnknown}
	for _, def := range cfg.TaskDef.ContainerDefinitions {
		timeout := cfg.StartTimeoutDefault
		if def.StartTimeout != nil && *def.StartTimeout > 0 {
			timeout = time.Duration(*def.StartTimeout) * time.Second
		}
		r.ctrs = append(r.ctrs, &ctr{def: def, deps: dependencies(def), startTimeout: timeout})
		r.st.Containers = append(r.st.Containers, model.ContainerState{
			Name: def.Name, Image: def.Image, LastStatus: model.ContainerPending, HealthStatus: model.HealthUnknown,
		})
	}
	if cfg.Prior != nil {
		r.seed(*cfg.Prior)
	}
	r.published = cloneState(r.st)
	return r
}

// Run drives the task to its desired status: it adopts what already runs
// for the task, then decides and applies one step at a time. It returns
// once STOPPED has been reported (and log captures have drained), or when
// ctx ends.
func (r *Runner) Run(ctx context.Context) {
	defer r.captures.Wait()
	for {
		err := r.adopt(ctx)
		if err == nil {
			break
		}
		r.log.Warn("cannot list the task's containers; retrying", "err", err)
		if !r.sleep(ctx, r.cfg.Now().Add(retryDelay)) {
			return
		}
	}
	r.commit()
	for ctx.Err() == nil {
		r.observeNews(ctx)
		a := next(r.snapshot())
		if a.Kind == actDone {
			return
		}
		if a.Kind == actWait {
			r.commit()
			if r.sleep(ctx, a.Wake) {
				continue
			}
			return
		}
		r.log.Debug("step", "action", a.Kind.String(), "to", a.To.String(), "containers", a.Containers)
		err := r.apply(ctx, a)
		r.commit()
		if err != nil && ctx.Err() == nil {
			r.log.Warn("step failed; retrying", "action", a.Kind.String(), "err", err)
			r.sleep(ctx, r.cfg.Now().Add(retryDelay))
		}
	}
}

// SetDesired takes a desired-status update from the server (StopTask). A
// task never goes back from desired STOPPED to RUNNING.
func (r *Runner) SetDesired(t model.Task) {
	r.mu.Lock()
	if r.desired.DesiredStatus == model.DesiredStopped {
		t.DesiredStatus = model.DesiredStopped
	}
	r.desired = t
	r.mu.Unlock()
	r.poke()
}

// HandleEvent takes a runtime event routed to this task by its task-ARN
// label. It never blocks: the runner re-inspects the container.
func (r *Runner) HandleEvent(ev runtime.Event) {
	if ev.Labels[runtime.LabelTaskARN] != r.cfg.Task.ARN || ev.ContainerID == "" {
		return
	}
	r.mu.Lock()
	r.news[ev.ContainerID] = true
	r.mu.Unlock()
	r.poke()
}

// State returns a snapshot of the last state reported.
func (r *Runner) State() model.TaskState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return cloneState(r.published)
}

func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// sleep waits for news, until (if not zero; at most resyncInterval, after
// which every container is re-inspected), or ctx. It reports false when
// ctx ended.
func (r *Runner) sleep(ctx context.Context, until time.Time) bool {
	d := resyncInterval
	resync := true
	if !until.IsZero() {
		if left := until.Sub(r.cfg.Now()); left < d {
			d, resync = left, false
		}
	}
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-r.wake:
	case <-r.cfg.After(d):
		if resync {
			r.mu.Lock()
			for _, c := range r.ctrs {
				if c.id != "" {
					r.news[c.id] = true
				}
			}
			r.mu.Unlock()
		}
	case <-ctx.Done():
		return false
	}
	return ctx.Err() == nil
}

func (r *Runner) desiredStatus() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.desired.DesiredStatus
}

// snapshot is the input of next.
func (r *Runner) snapshot() snapshot {
	s := snapshot{
		Status:     r.st.LastStatus,
		Desired:    r.desiredStatus(),
		Failure:    r.failure,
		NeedsPause: r.cfg.TaskDef.NetworkMode == model.NetworkAwsvpc,
		PauseID:    r.pauseID,
		Pulled:     r.pulled,
		Now:        r.cfg.Now(),
	}
	for i, c := range r.ctrs {
		cs := r.st.Containers[i]
		s.Containers = append(s.Containers, containerView{
			Name: c.def.Name, Essential: c.def.Essential, Deps: c.deps,
			StartTimeout: c.startTimeout, HasHealthCheck: c.def.HealthCheck != nil,
			Status: cs.LastStatus, Created: c.id != "", StartedAt: c.startedAt,
			ExitCode: cs.ExitCode, Health: cs.HealthStatus,
		})
	}
	return s
}

// commit reports the state if it changed since the last report.
func (r *Runner) commit() {
	views := r.snapshot().Containers
	r.st.HealthStatus = taskHealth(views)
	cur := cloneState(r.st)
	last := r.lastReported
	cur.Version, last.Version = 0, 0
	if reflect.DeepEqual(cur, last) {
		return
	}
	r.st.Version++
	r.lastReported = cloneState(r.st)
	r.mu.Lock()
	r.published = cloneState(r.st)
	r.mu.Unlock()
	r.log.Debug("state", "status", r.st.LastStatus.String(), "version", r.st.Version)
	r.cfg.Report(cloneState(r.st))
}

// region is the task's region, from its ARN.
func (r *Runner) region() string {
	a, err := arn.Parse(r.cfg.Task.ARN)
	if err != nil {
		return ""
	}
	return a.Region
}

// specOptions are the facts containerSpec needs from the runner.
func (r *Runner) specOptions() specOptions {
	opts := specOptions{
		Region: r.region(), Labels: r.cfg.Labels, NameSuffix: r.suffix, PauseID: r.pauseID,
		RuntimeIDs: map[string]string{}, DockerNames: map[string]string{},
		ReadFile: os.ReadFile, StopTimeoutDefault: r.cfg.StopTimeoutDefault,
	}
	for _, c := range r.ctrs {
		if c.id != "" {
			opts.RuntimeIDs[c.def.Name] = c.id
			opts.DockerNames[c.def.Name] = c.dockerName
		}
	}
	return opts
}

func (r *Runner) byName(name string) (int, *ctr) {
	for i, c := range r.ctrs {
		if c.def.Name == name {
			return i, c
		}
	}
	return -1, nil
}

func cloneState(s model.TaskState) model.TaskState {
	s.Containers = slices.Clone(s.Containers)
	for i := range s.Containers {
		c := &s.Containers[i]
		c.NetworkBindings = slices.Clone(c.NetworkBindings)
		if c.ExitCode != nil {
			code := *c.ExitCode
			c.ExitCode = &code
		}
	}
	return s
}
