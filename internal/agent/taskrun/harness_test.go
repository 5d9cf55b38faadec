package taskrun

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
	"github.com/wharfhq/wharf/internal/runtime/fake"
)

// manualClock is the runner's and the fake runtime's clock in tests:
// timers fire only when the test advances it.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []manualTimer
}

type manualTimer struct {
	at time.Time
	ch chan time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, manualTimer{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
}

// countingRuntime counts the calls that would start a second copy of a task.
type countingRuntime struct {
	*fake.Runtime
	creates, starts atomic.Int32
}

func (c *countingRuntime) Create(ctx context.Context, spec runtime.ContainerSpec) (string, error) {
	c.creates.Add(1)
	return c.Runtime.Create(ctx, spec)
}

func (c *countingRuntime) Start(ctx context.Context, id string) error {
	c.starts.Add(1)
	return c.Runtime.Start(ctx, id)
}

// fakeHarness runs one Runner on the fake runtime, routing events to it as
// the agent does, and collects its reports.
type fakeHarness struct {
	t      *testing.T
	clk    *manualClock
	rt     *countingRuntime
	runner *Runner
	states chan model.TaskState
	done   chan struct{}
	cancel context.CancelFunc
	last   model.TaskState
	all    []model.TaskState
}

type harnessOption func(*Config)

func newFakeRuntime(clk *manualClock, images ...string) *countingRuntime {
	return &countingRuntime{Runtime: fake.New(fake.Options{Now: clk.Now, Images: images})}
}

func startFake(t *testing.T, clk *manualClock, rt *countingRuntime, task model.Task, td model.TaskDefinition, opts ...harnessOption) *fakeHarness {
	t.Helper()
	h := &fakeHarness{t: t, clk: clk, rt: rt, states: make(chan model.TaskState, 1000), done: make(chan struct{})}
	cfg := Config{
		Runtime: rt, Task: task, TaskDef: td,
		Report: func(s model.TaskState) { h.states <- s },
		Labels: map[string]string{"wharf.instance": "i-1"},
		Now:    clk.Now, After: clk.After,
		AwsvpcNetwork: "wharf-awsvpc", PauseImage: "wharf-pause:test",
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.runner = New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	events, _ := rt.Events(ctx)
	go func() {
		for ev := range events {
			h.runner.HandleEvent(ev)
		}
	}()
	go func() {
		defer close(h.done)
		h.runner.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
	return h
}

// advance moves time on for the runtime and the runner's timers.
func (h *fakeHarness) advance(d time.Duration) {
	h.clk.advance(d)
	h.rt.Sync()
}

// waitFor reads reports until one satisfies ok. The timeout only guards
// against bugs: no test waits for wall-clock time to pass.
func (h *fakeHarness) waitFor(what string, ok func(model.TaskState) bool) model.TaskState {
	h.t.Helper()
	if len(h.all) > 0 && ok(h.last) {
		return h.last
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case s := <-h.states:
			if len(h.all) > 0 && s.Version != h.last.Version+1 {
				h.t.Errorf("version %d after %d: want +1", s.Version, h.last.Version)
			}
			if len(h.all) > 0 && s.LastStatus < h.last.LastStatus {
				h.t.Errorf("status went back from %s to %s", h.last.LastStatus, s.LastStatus)
			}
			h.last = s
			h.all = append(h.all, s)
			if ok(s) {
				return s
			}
		case <-timeout:
			h.t.Fatalf("timed out waiting for %s; last state %s", what, describe(h.last))
		}
	}
}

func (h *fakeHarness) waitStatus(st model.TaskStatus) model.TaskState {
	h.t.Helper()
	return h.waitFor(st.String(), func(s model.TaskState) bool { return s.LastStatus == st })
}

// waitDone waits for Run to return.
func (h *fakeHarness) waitDone() {
	h.t.Helper()
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		h.t.Fatalf("Run did not return; last state %s", describe(h.last))
	}
}

func (h *fakeHarness) statuses() []string {
	var out []string
	for _, s := range h.all {
		if len(out) == 0 || out[len(out)-1] != s.LastStatus.String() {
			out = append(out, s.LastStatus.String())
		}
	}
	return out
}

func describe(s model.TaskState) string {
	out := fmt.Sprintf("v%d %s health=%s code=%q reason=%q", s.Version, s.LastStatus, s.HealthStatus, s.StopCode, s.StoppedReason)
	for _, c := range s.Containers {
		out += fmt.Sprintf(" [%s %s exit=%s reason=%q health=%s]", c.Name, c.LastStatus, exitCodeText(c.ExitCode), c.Reason, c.HealthStatus)
	}
	return out
}

func container(s model.TaskState, name string) model.ContainerState {
	for _, c := range s.Containers {
		if c.Name == name {
			return c
		}
	}
	return model.ContainerState{}
}

func fakeTask() model.Task {
	return model.Task{ARN: "arn:aws:ecs:us-east-1:000000000000:task/c1/aaaabbbbccccdddd", ID: "aaaabbbbccccdddd",
		ClusterName: "c1", Family: "web", Revision: 1, DesiredStatus: model.DesiredRunning}
}

func fakeTD(mode string, cs ...model.ContainerDefinition) model.TaskDefinition {
	return model.TaskDefinition{ARN: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", Family: "web", Revision: 1, NetworkMode: mode, ContainerDefinitions: cs}
}

func stopped(t model.Task) model.Task {
	t.DesiredStatus = model.DesiredStopped
	t.StopCode = model.StopUserInitiated
	t.StoppedReason = "Task stopped by user"
	return t
}
