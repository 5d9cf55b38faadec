package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/fsutil"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/agent/logcapture"
	"github.com/wharfhq/wharf/internal/agent/taskrun"
	"github.com/wharfhq/wharf/internal/agentapi"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

// Label naming the container instance a container belongs to.
const LabelInstance = "wharf.instance"

// AttrHostAddress is the instance attribute carrying the host's address.
const AttrHostAddress = "wharf.host-address"

// AttrLocalAgent marks instances of the server's in-process agent.
const AttrLocalAgent = "wharf.local-agent"

// Config configures an agent for one cluster.
type Config struct {
	ServerURL string // the wharf server, e.g. http://127.0.0.1:7150
	Token     string // agent token of the server
	Cluster   string
	Region    string

	Runtime runtime.Runtime
	// StateDir keeps the agent's identity (its container instance ARN) so
	// that a restarted agent re-registers the same instance.
	StateDir string
	// DataDir is recorded on every container (label wharf.data-dir), so
	// that wharf only ever touches containers it created.
	DataDir string

	Resources  Resources
	Attributes []model.Attribute // in addition to the built-in ones
	// HostAddress is the address other hosts (and load balancers) reach
	// this host's published ports at; reported as attribute
	// wharf.host-address. Default 127.0.0.1.
	HostAddress string
	Version     model.VersionInfo

	Logs          taskrun.LogCapture   // nil: awslogs output is not captured
	BuildLogs     *logcapture.Capturer // nil: build output is not shipped
	PauseImage    string               // image of awsvpc pause containers
	AwsvpcNetwork string               // Docker network of awsvpc tasks

	// Builds, when set, lets the instance run the CodeBuild builds the
	// server places on it.
	Builds *BuildSettings

	PollWait time.Duration // long-poll duration; default 20s
	// CleanupWait is how long a stopped task's containers are kept before
	// they and its task-scoped volumes are removed (ECS's
	// ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION); default 1 minute.
	CleanupWait time.Duration
	Logger      *slog.Logger
}

// Resources are what the instance offers to tasks.
type Resources struct {
	CPU           int32 // CPU units (1024 per core)
	MemoryMiB     int32
	ReservedPorts []int // host TCP ports tasks may not use
}

// BuildSettings configure the builds an instance runs (see buildrun).
type BuildSettings struct {
	WorkDir  string // workspaces of running builds
	CacheDir string // LOCAL caches of projects
	// Registry is host:port of the server's registry; RegistryAuth its
	// login, handed to builds as a Docker config.
	Registry     string
	RegistryAuth func() (user, password string, ok bool)
}

// Agent runs the tasks of one container instance.
type Agent struct {
	cfg    Config
	logger *slog.Logger
	client *client
	ecs    *ecs.Client

	instanceARN string
	instanceID  string

	mu      sync.Mutex
	runners map[string]*runnerEntry // by task ARN
	wanted  map[string]bool         // task ARNs of the last desired state
	reports *reporter
	wg      sync.WaitGroup
}

type runnerEntry struct {
	r      *taskrun.Runner
	taskID string
	done   chan struct{}
	// doneAt is when the runner finished (the task STOPPED); its
	// containers stay for inspection until CleanupWait has passed and the
	// server no longer lists the task.
	doneAt time.Time
}

// New returns an agent; Run registers it and runs it.
func New(cfg Config) *Agent {
	if cfg.PollWait == 0 {
		cfg.PollWait = 20 * time.Second
	}
	if cfg.CleanupWait == 0 {
		cfg.CleanupWait = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	httpClient := &http.Client{Timeout: cfg.PollWait + 30*time.Second}
	a := &Agent{
		cfg:     cfg,
		logger:  cfg.Logger.With("component", "agent", "cluster", cfg.Cluster),
		client:  &client{base: cfg.ServerURL, token: cfg.Token, http: httpClient},
		runners: map[string]*runnerEntry{},
	}
	a.ecs = ecs.NewFromConfig(aws.Config{
		Region:      cfg.Region,
		Credentials: credentials.NewStaticCredentialsProvider("wharf-agent", cfg.Token, ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
	}, func(o *ecs.Options) { o.BaseEndpoint = aws.String(cfg.ServerURL) })
	a.reports = newReporter(a.client, cfg.Cluster, a.logger)
	return a
}

// InstanceARN returns the ARN of the registered container instance.
func (a *Agent) InstanceARN() string { return a.instanceARN }

// Run registers the instance and runs its tasks until ctx is cancelled.
// Running containers are left alone when the agent stops: a restarted
// agent adopts them.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.register(ctx); err != nil {
		return err
	}
	a.logger.Info("agent registered", "instance", a.instanceARN)
	go a.reports.run(ctx)
	go a.routeEvents(ctx)
	go a.housekeeping(ctx)
	defer a.wg.Wait()
	if a.cfg.Builds != nil {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.runBuilds(ctx)
		}()
	}

	var after int64
	backoff := time.Second
	for ctx.Err() == nil {
		desired, err := a.client.desiredTasks(ctx, a.cfg.Cluster, a.instanceID, after, a.cfg.PollWait)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, errGone) {
				return fmt.Errorf("container instance %s is no longer registered: %w", a.instanceARN, err)
			}
			a.logger.Warn("poll desired tasks", "err", err, "retry_in", backoff)
			sleep(ctx, backoff)
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		after = desired.Revision
		a.reconcile(ctx, desired)
	}
	return nil
}

// reconcile starts runners for new tasks, passes desired-status changes
// to existing ones and stops containers of tasks nobody wants.
func (a *Agent) reconcile(ctx context.Context, desired agentapi.DesiredTasks) {
	wanted := map[string]bool{}
	for _, dt := range desired.Tasks {
		wanted[dt.Task.ARN] = true
		a.mu.Lock()
		e := a.runners[dt.Task.ARN]
		a.mu.Unlock()
		if e != nil {
			e.r.SetDesired(dt.Task)
			continue
		}
		a.startRunner(ctx, dt)
	}
	a.mu.Lock()
	a.wanted = wanted
	a.mu.Unlock()
}

// housekeeping removes stopped tasks' containers and orphans off the poll
// path: inspecting containers waits on Docker's per-container locks, and
// must not delay the reaction to the next desired state.
func (a *Agent) housekeeping(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.mu.Lock()
		wanted := a.wanted
		a.mu.Unlock()
		if wanted == nil {
			continue // no desired state seen yet: nothing is an orphan
		}
		a.cleanupStopped(ctx, wanted)
		a.removeOrphans(ctx, wanted)
	}
}

func (a *Agent) startRunner(ctx context.Context, dt agentapi.DesiredTask) {
	task := dt.Task
	r := taskrun.New(taskrun.Config{
		Runtime: a.cfg.Runtime,
		Task:    task,
		TaskDef: dt.TaskDefinition,
		Prior:   dt.State,
		Report: func(st model.TaskState) {
			a.reports.report(task.ID, st)
		},
		Logs: a.cfg.Logs,
		Labels: map[string]string{
			runtime.LabelCluster: a.cfg.Cluster,
			runtime.LabelDataDir: a.cfg.DataDir,
			LabelInstance:        a.instanceID,
		},
		AwsvpcNetwork: a.cfg.AwsvpcNetwork,
		PauseImage:    a.cfg.PauseImage,
		Logger:        a.logger.With("task", task.ID),
	})
	e := &runnerEntry{r: r, taskID: task.ID, done: make(chan struct{})}
	a.mu.Lock()
	a.runners[task.ARN] = e
	a.mu.Unlock()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer close(e.done)
		r.Run(ctx)
		if ctx.Err() != nil {
			return // agent stopping: a new agent adopts
		}
		a.mu.Lock()
		e.doneAt = time.Now()
		a.mu.Unlock()
	}()
}

// cleanupStopped removes the containers and volumes of stopped tasks the
// server no longer lists, once they have been kept for CleanupWait.
func (a *Agent) cleanupStopped(ctx context.Context, wanted map[string]bool) {
	a.mu.Lock()
	var due []*runnerEntry
	for arn, e := range a.runners {
		if !e.doneAt.IsZero() && !wanted[arn] && time.Since(e.doneAt) >= a.cfg.CleanupWait {
			due = append(due, e)
			delete(a.runners, arn)
		}
	}
	a.mu.Unlock()
	for _, e := range due {
		if err := e.r.Cleanup(ctx); err != nil {
			a.logger.Warn("clean up stopped task", "task", e.taskID, "err", err)
		}
	}
}

// removeOrphans stops and removes containers of this instance whose task
// the server does not list and no runner owns.
func (a *Agent) removeOrphans(ctx context.Context, wanted map[string]bool) {
	cs, err := a.cfg.Runtime.List(ctx, map[string]string{
		runtime.LabelCluster: a.cfg.Cluster,
		LabelInstance:        a.instanceID,
		runtime.LabelDataDir: a.cfg.DataDir,
	})
	if err != nil {
		a.logger.Warn("list containers", "err", err)
		return
	}
	for _, c := range cs {
		taskARN := c.Labels[runtime.LabelTaskARN]
		a.mu.Lock()
		_, owned := a.runners[taskARN]
		a.mu.Unlock()
		if wanted[taskARN] || owned {
			continue
		}
		a.logger.Info("removing container of a task that should not run", "task", taskARN, "container", c.ID)
		if c.Running {
			if err := a.cfg.Runtime.Stop(ctx, c.ID, 30*time.Second); err != nil && !errors.Is(err, runtime.ErrNotFound) {
				a.logger.Warn("stop orphan", "container", c.ID, "err", err)
				continue
			}
		}
		if err := a.cfg.Runtime.Remove(ctx, c.ID); err != nil && !errors.Is(err, runtime.ErrNotFound) {
			a.logger.Warn("remove orphan", "container", c.ID, "err", err)
		}
	}
}

// routeEvents delivers container events to the runner of their task,
// resubscribing when the stream breaks (a Docker restart).
func (a *Agent) routeEvents(ctx context.Context) {
	for ctx.Err() == nil {
		events, errs := a.cfg.Runtime.Events(ctx)
	loop:
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					break loop
				}
				if ev.Labels[runtime.LabelCluster] != a.cfg.Cluster || ev.Labels[LabelInstance] != a.instanceID {
					continue
				}
				a.mu.Lock()
				e := a.runners[ev.Labels[runtime.LabelTaskARN]]
				a.mu.Unlock()
				if e != nil {
					e.r.HandleEvent(ev)
				}
			case err := <-errs:
				if ctx.Err() == nil {
					a.logger.Warn("container events interrupted", "err", err)
				}
				break loop
			}
		}
		sleep(ctx, time.Second)
	}
}

// identity is what the agent keeps on disk.
type identity struct {
	ContainerInstanceARN string `json:"containerInstanceArn"`
}

func (a *Agent) identityPath() string {
	return filepath.Join(a.cfg.StateDir, "instance-"+a.cfg.Cluster+".json")
}

func (a *Agent) register(ctx context.Context) error {
	var id identity
	if buf, err := os.ReadFile(a.identityPath()); err == nil {
		_ = json.Unmarshal(buf, &id)
	}
	in := &ecs.RegisterContainerInstanceInput{
		Cluster:        aws.String(a.cfg.Cluster),
		TotalResources: a.resources(),
		Attributes:     a.attributes(),
		VersionInfo: &types.VersionInfo{AgentVersion: aws.String(a.cfg.Version.AgentVersion),
			AgentHash: aws.String(a.cfg.Version.AgentHash), DockerVersion: aws.String(a.cfg.Version.DockerVersion)},
	}
	if id.ContainerInstanceARN != "" {
		in.ContainerInstanceArn = aws.String(id.ContainerInstanceARN)
	}
	var out *ecs.RegisterContainerInstanceOutput
	var err error
	for attempt := 0; ; attempt++ {
		out, err = a.ecs.RegisterContainerInstance(ctx, in)
		if err == nil {
			break
		}
		var ip *types.InvalidParameterException
		if errors.As(err, &ip) && in.ContainerInstanceArn != nil {
			in.ContainerInstanceArn = nil // unknown here: register anew
			continue
		}
		if ctx.Err() != nil || attempt >= 10 {
			return fmt.Errorf("register container instance in cluster %s: %w", a.cfg.Cluster, err)
		}
		sleep(ctx, time.Duration(attempt+1)*500*time.Millisecond)
	}
	a.instanceARN = aws.ToString(out.ContainerInstance.ContainerInstanceArn)
	a.instanceID = lastSegment(a.instanceARN)
	if err := writeFileAtomic(a.identityPath(), identity{ContainerInstanceARN: a.instanceARN}); err != nil {
		return fmt.Errorf("save agent identity: %w", err)
	}
	return nil
}

func (a *Agent) resources() []types.Resource {
	ports := []string{}
	for _, p := range a.cfg.Resources.ReservedPorts {
		ports = append(ports, strconv.Itoa(p))
	}
	return []types.Resource{
		{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: a.cfg.Resources.CPU},
		{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: a.cfg.Resources.MemoryMiB},
		{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: ports},
		{Name: aws.String("PORTS_UDP"), Type: aws.String("STRINGSET"), StringSetValue: []string{}},
	}
}

func (a *Agent) attributes() []types.Attribute {
	var out []types.Attribute
	host := a.cfg.HostAddress
	if host == "" {
		host = "127.0.0.1"
	}
	attrs := append(BuiltinAttributes(a.cfg.Region), model.Attribute{Name: AttrHostAddress, Value: host})
	for _, at := range append(attrs, a.cfg.Attributes...) {
		t := types.Attribute{Name: aws.String(at.Name)}
		if at.Value != "" {
			t.Value = aws.String(at.Value)
		}
		out = append(out, t)
	}
	return out
}

func lastSegment(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

// writeFileAtomic stores v as JSON, replacing path durably.
func writeFileAtomic(path string, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, buf, 0o600)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
