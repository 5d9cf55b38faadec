package taskrun

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
	"github.com/wharfhq/wharf/internal/runtime/fake"
)

func TestRunsToRunningAndStopTaskStopsIt(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1")
	rt.SetImageBehavior("app:1", fake.Behavior{StopExitCode: 143})
	app := model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true, PortMappings: []model.PortMapping{{ContainerPort: i32(8080)}}}
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge, app))

	s := h.waitStatus(model.TaskRunning)
	c := container(s, "app")
	if c.LastStatus != model.ContainerRunning || c.RuntimeID == "" || c.Image != "app:1" || c.HealthStatus != model.HealthUnknown {
		t.Errorf("container = %+v, want RUNNING with runtime ID and UNKNOWN health", c)
	}
	if want := []model.NetworkBinding{{BindIP: "0.0.0.0", ContainerPort: 8080, HostPort: 32768, Protocol: "tcp"}}; !slices.Equal(c.NetworkBindings, want) {
		t.Errorf("networkBindings = %+v, want %+v", c.NetworkBindings, want)
	}
	if s.PullStartedAt.IsZero() || s.PullStoppedAt.IsZero() || !s.StartedAt.Equal(t0) || s.HealthStatus != model.HealthUnknown {
		t.Errorf("state = %+v, want pull timestamps, startedAt t0, health UNKNOWN", s)
	}
	st, err := rt.Inspect(context.Background(), c.RuntimeID)
	if err != nil || st.Labels[runtime.LabelTaskARN] != fakeTask().ARN || st.Labels["wharf.instance"] != "i-1" || !strings.HasPrefix(st.Name, "ecs-web-1-app-") {
		t.Errorf("runtime container = %+v, %v; want task labels and an ECS-style name", st, err)
	}

	h.advance(time.Minute)
	h.runner.SetDesired(stopped(fakeTask()))
	s = h.waitStatus(model.TaskStopped)
	h.waitDone()
	c = container(s, "app")
	if c.LastStatus != model.ContainerStopped || c.ExitCode == nil || *c.ExitCode != 143 || c.Reason != "" {
		t.Errorf("container = %+v, want STOPPED with exit code 143 and no reason", c)
	}
	if s.StopCode != "" || s.StoppedReason != "" {
		t.Errorf("stop code %q reason %q: a server-requested stop keeps the server's", s.StopCode, s.StoppedReason)
	}
	if s.StoppingAt.IsZero() || s.ExecutionStoppedAt.IsZero() || s.StoppedAt.IsZero() {
		t.Errorf("state = %+v, want stop timestamps", s)
	}
	want := []string{"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"}
	if got := h.statuses(); !slices.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	if got := h.runner.State(); got.Version != s.Version || got.LastStatus != model.TaskStopped {
		t.Errorf("State() = %s, want the last report", describe(got))
	}
}

func TestEssentialContainerExitStopsTheTask(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1", "side:1")
	rt.SetImageBehavior("app:1", fake.Behavior{RunFor: 10 * time.Second, ExitCode: 3})
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge,
		model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true},
		model.ContainerDefinition{Name: "side", Image: "side:1"},
	))
	h.waitStatus(model.TaskRunning)
	h.advance(10 * time.Second)
	s := h.waitStatus(model.TaskStopped)
	if s.StopCode != model.StopEssentialContainerExited || s.StoppedReason != "Essential container in task exited" {
		t.Errorf("stop = %q %q, want EssentialContainerExited", s.StopCode, s.StoppedReason)
	}
	if c := container(s, "app"); c.ExitCode == nil || *c.ExitCode != 3 || c.Reason != "" {
		t.Errorf("app = %+v, want exit code 3", c)
	}
	if c := container(s, "side"); c.LastStatus != model.ContainerStopped || c.ExitCode == nil || *c.ExitCode != 0 {
		t.Errorf("side = %+v, want stopped by the agent with exit code 0", c)
	}
}

func TestNonEssentialExitKeepsTheTaskRunning(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1", "side:1")
	rt.SetImageBehavior("side:1", fake.Behavior{RunFor: 5 * time.Second, ExitCode: 1})
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge,
		model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true},
		model.ContainerDefinition{Name: "side", Image: "side:1"},
	))
	h.waitStatus(model.TaskRunning)
	h.advance(5 * time.Second)
	s := h.waitFor("side STOPPED", func(s model.TaskState) bool { return container(s, "side").LastStatus == model.ContainerStopped })
	if s.LastStatus != model.TaskRunning || s.StopCode != "" {
		t.Errorf("state = %s, want still RUNNING", describe(s))
	}
}

func TestPullFailureFailsTheTask(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk)
	rt.SetImageBehavior("nope:1", fake.Behavior{PullErr: errors.New("repository does not exist")})
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge, model.ContainerDefinition{Name: "app", Image: "nope:1", Essential: true}))
	s := h.waitStatus(model.TaskStopped)
	if s.StopCode != model.StopTaskFailedToStart || !strings.HasPrefix(s.StoppedReason, "CannotPullContainerError: ") || !strings.Contains(s.StoppedReason, "repository does not exist") {
		t.Errorf("stop = %q %q, want TaskFailedToStart CannotPullContainerError", s.StopCode, s.StoppedReason)
	}
	if c := container(s, "app"); c.Reason != s.StoppedReason || c.LastStatus != model.ContainerStopped {
		t.Errorf("container = %+v, want STOPPED with the same reason", c)
	}
	if s.PullStartedAt.IsZero() || s.PullStoppedAt.IsZero() {
		t.Errorf("pull timestamps missing: %+v", s)
	}
	if got := h.statuses(); !slices.Equal(got, []string{"PROVISIONING", "PENDING", "STOPPED"}) {
		t.Errorf("statuses = %v, want a jump from PENDING to STOPPED", got)
	}
	if rt.creates.Load() != 0 {
		t.Errorf("%d creates, want none", rt.creates.Load())
	}
}

func TestStartAndCreateFailures(t *testing.T) {
	for _, tt := range []struct {
		name   string
		b      fake.Behavior
		reason string
	}{
		{"create", fake.Behavior{CreateErr: errors.New("bad mount")}, "CannotCreateContainerError: "},
		{"start", fake.Behavior{StartErr: errors.New("exec: /app: not found")}, "CannotStartContainerError: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := &manualClock{now: t0}
			rt := newFakeRuntime(clk, "app:1", "bad:1")
			rt.SetImageBehavior("bad:1", tt.b)
			h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge,
				model.ContainerDefinition{Name: "ok", Image: "app:1", Essential: true},
				model.ContainerDefinition{Name: "bad", Image: "bad:1", Essential: true},
			))
			s := h.waitStatus(model.TaskStopped)
			if s.StopCode != model.StopTaskFailedToStart || !strings.HasPrefix(s.StoppedReason, tt.reason) || container(s, "bad").Reason != s.StoppedReason {
				t.Errorf("state = %s, want TaskFailedToStart %s", describe(s), tt.reason)
			}
			for _, c := range s.Containers {
				if c.LastStatus != model.ContainerStopped {
					t.Errorf("container %s is %s, want STOPPED", c.Name, c.LastStatus)
				}
			}
		})
	}
}

func TestHealthyDependencyHoldsBackItsDependent(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "db:1", "app:1")
	rt.SetImageBehavior("db:1", fake.Behavior{Health: []fake.HealthStep{{After: 10 * time.Second, Status: runtime.HealthHealthy}}})
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge,
		model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true,
			DependsOn: []model.ContainerDependency{{ContainerName: "db", Condition: model.DependsHealthy}}},
		model.ContainerDefinition{Name: "db", Image: "db:1", Essential: true,
			HealthCheck: &model.HealthCheck{Command: []string{"CMD", "/hc"}, Interval: 5, Timeout: 2, Retries: 3}},
	))
	s := h.waitFor("db RUNNING", func(s model.TaskState) bool { return container(s, "db").LastStatus == model.ContainerRunning })
	if s.LastStatus != model.TaskActivating || container(s, "app").LastStatus != model.ContainerPending {
		t.Fatalf("state = %s, want ACTIVATING with app PENDING", describe(s))
	}
	h.advance(9 * time.Second)
	if st := h.runner.State(); container(st, "app").LastStatus != model.ContainerPending {
		t.Fatalf("app started before db was healthy: %s", describe(st))
	}
	h.advance(time.Second)
	s = h.waitStatus(model.TaskRunning)
	if container(s, "db").HealthStatus != model.HealthHealthy || !s.StartedAt.Equal(t0.Add(10*time.Second)) {
		t.Errorf("state = %s startedAt %v, want db HEALTHY and RUNNING at 10s", describe(s), s.StartedAt)
	}
	// The task's health waits for every essential container.
	if s.HealthStatus != model.HealthUnknown {
		t.Errorf("task health = %s, want UNKNOWN (app has no health check)", s.HealthStatus)
	}
}

func TestDependencyStartTimeoutFailsTheTask(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "db:1", "app:1")
	rt.SetImageBehavior("db:1", fake.Behavior{Health: []fake.HealthStep{}}) // never healthy
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge,
		model.ContainerDefinition{Name: "db", Image: "db:1", Essential: true, StartTimeout: i32(20),
			HealthCheck: &model.HealthCheck{Command: []string{"CMD", "/hc"}}},
		model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true,
			DependsOn: []model.ContainerDependency{{ContainerName: "db", Condition: model.DependsHealthy}}},
	))
	h.waitFor("db RUNNING", func(s model.TaskState) bool { return container(s, "db").LastStatus == model.ContainerRunning })
	h.advance(19 * time.Second)
	if st := h.runner.State(); st.LastStatus != model.TaskActivating {
		t.Fatalf("state = %s before the timeout, want ACTIVATING", describe(st))
	}
	h.advance(time.Second)
	s := h.waitStatus(model.TaskStopped)
	if s.StopCode != model.StopTaskFailedToStart || !strings.HasPrefix(s.StoppedReason, "ContainerRuntimeTimeoutError: ") || !strings.Contains(s.StoppedReason, "dependency db") {
		t.Errorf("stop = %q %q, want a timeout naming db", s.StopCode, s.StoppedReason)
	}
	if c := container(s, "app"); c.LastStatus != model.ContainerStopped || c.ExitCode != nil {
		t.Errorf("app = %+v, want STOPPED, never started", c)
	}
	if got := h.statuses(); !slices.Contains(got, "STOPPING") || slices.Contains(got, "RUNNING") {
		t.Errorf("statuses = %v, want STOPPING (db ran) and never RUNNING", got)
	}
}

func TestSIGKILLAfterStopTimeout(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1")
	rt.SetImageBehavior("app:1", fake.Behavior{IgnoreStop: true})
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge,
		model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true, StopTimeout: i32(10)}))
	h.waitStatus(model.TaskRunning)
	h.runner.SetDesired(stopped(fakeTask()))
	h.waitStatus(model.TaskStopping)
	rt.WaitForStops(1)
	h.advance(9 * time.Second)
	if st := h.runner.State(); st.LastStatus != model.TaskStopping {
		t.Fatalf("state = %s, want STOPPING until the stop timeout", describe(st))
	}
	h.advance(time.Second)
	s := h.waitStatus(model.TaskStopped)
	if c := container(s, "app"); c.ExitCode == nil || *c.ExitCode != 137 || c.Reason != "" {
		t.Errorf("app = %+v, want killed (137) by the agent's stop, no reason", c)
	}
	if !s.ExecutionStoppedAt.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("executionStoppedAt = %v, want 10s", s.ExecutionStoppedAt)
	}
}

func TestStopOrderIsReverseOfDependencies(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1")
	rt.SetContainerBehavior("app", fake.Behavior{StopDelay: 5 * time.Second})
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge,
		model.ContainerDefinition{Name: "db", Image: "app:1", Essential: true},
		model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true, Links: []string{"db"}}))
	h.waitStatus(model.TaskRunning)
	h.runner.SetDesired(stopped(fakeTask()))
	rt.WaitForStops(1) // app's stop is in progress
	if st := h.runner.State(); container(st, "db").LastStatus != model.ContainerRunning {
		t.Fatalf("db stopped before app: %s", describe(st))
	}
	h.advance(5 * time.Second)
	s := h.waitStatus(model.TaskStopped)
	if c := container(s, "db"); c.LastStatus != model.ContainerStopped {
		t.Errorf("db = %+v", c)
	}
}

func TestAdoptionDoesNotStartASecondCopy(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1", "side:1")
	rt.SetImageBehavior("app:1", fake.Behavior{RunFor: 100 * time.Second, ExitCode: 2})
	td := fakeTD(model.NetworkBridge,
		model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true, PortMappings: []model.PortMapping{{ContainerPort: i32(80)}}},
		model.ContainerDefinition{Name: "side", Image: "side:1"})
	first := startFake(t, clk, rt, fakeTask(), td)
	prior := first.waitStatus(model.TaskRunning)
	first.cancel() // the agent goes away; its containers keep running
	first.waitDone()
	creates, starts := rt.creates.Load(), rt.starts.Load()

	h := startFake(t, clk, rt, fakeTask(), td, func(c *Config) { c.Prior = &prior })
	h.advance(10 * time.Second) // let the runner settle; nothing happens
	if st := h.runner.State(); st.Version != prior.Version || st.LastStatus != model.TaskRunning {
		t.Errorf("adopted state = %s, want the prior state unchanged", describe(st))
	}
	if rt.creates.Load() != creates || rt.starts.Load() != starts {
		t.Errorf("adoption created %d and started %d containers, want none", rt.creates.Load()-creates, rt.starts.Load()-starts)
	}
	// Exit tracking resumes.
	h.advance(90 * time.Second)
	s := h.waitStatus(model.TaskStopped)
	if s.StopCode != model.StopEssentialContainerExited || *container(s, "app").ExitCode != 2 {
		t.Errorf("state = %s, want EssentialContainerExited with app's exit code 2", describe(s))
	}
	if s.Version <= prior.Version || !s.StartedAt.Equal(prior.StartedAt) {
		t.Errorf("version %d startedAt %v: want after %d and the prior startedAt", s.Version, s.StartedAt, prior.Version)
	}
}

func TestAdoptionOfARunningTaskWithAMissingEssentialContainer(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1")
	td := fakeTD(model.NetworkBridge, model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true})
	first := startFake(t, clk, rt, fakeTask(), td)
	prior := first.waitStatus(model.TaskRunning)
	first.cancel()
	first.waitDone()
	if err := rt.Runtime.Remove(context.Background(), container(prior, "app").RuntimeID); err != nil {
		t.Fatal(err)
	}
	creates := rt.creates.Load()
	h := startFake(t, clk, rt, fakeTask(), td, func(c *Config) { c.Prior = &prior })
	s := h.waitStatus(model.TaskStopped)
	if s.StopCode != model.StopEssentialContainerExited || container(s, "app").Reason != reasonVanished || rt.creates.Load() != creates {
		t.Errorf("state = %s (creates %d), want EssentialContainerExited, app vanished, nothing created", describe(s), rt.creates.Load()-creates)
	}
}

func TestContainerKilledOrRemovedBehindTheAgentsBack(t *testing.T) {
	for _, tt := range []struct {
		name   string
		act    func(rt *countingRuntime, id string) error
		reason string
		exit   *int32
	}{
		{"killed", func(rt *countingRuntime, id string) error {
			return rt.Runtime.Stop(context.Background(), id, 0) // SIGKILL right away: exit 137
		}, "Container exited unexpectedly: killed by SIGKILL (exit code 137)", code(137)},
		{"removed", func(rt *countingRuntime, id string) error {
			return rt.Runtime.Remove(context.Background(), id)
		}, reasonVanished, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := &manualClock{now: t0}
			rt := newFakeRuntime(clk, "app:1")
			rt.SetImageBehavior("app:1", fake.Behavior{IgnoreStop: true})
			h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge, model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true}))
			s := h.waitStatus(model.TaskRunning)
			if err := tt.act(rt, container(s, "app").RuntimeID); err != nil {
				t.Fatal(err)
			}
			s = h.waitStatus(model.TaskStopped)
			c := container(s, "app")
			if c.LastStatus != model.ContainerStopped || c.Reason != tt.reason || !equalCode(c.ExitCode, tt.exit) {
				t.Errorf("app = %+v exit %s, want reason %q exit %s", c, exitCodeText(c.ExitCode), tt.reason, exitCodeText(tt.exit))
			}
			if s.StopCode != model.StopEssentialContainerExited {
				t.Errorf("stop code = %q, want EssentialContainerExited", s.StopCode)
			}
		})
	}
}

func equalCode(a, b *int32) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func TestOOMKill(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1")
	rt.SetImageBehavior("app:1", fake.Behavior{RunFor: 5 * time.Second, OOM: true})
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge, model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true, Memory: i32(64)}))
	h.waitStatus(model.TaskRunning)
	h.advance(5 * time.Second)
	s := h.waitStatus(model.TaskStopped)
	if c := container(s, "app"); c.Reason != reasonOOM || *c.ExitCode != 137 {
		t.Errorf("app = %+v, want OutOfMemoryError and 137", c)
	}
}

func TestStoppedBeforeStartGoesStraightToStopped(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1")
	h := startFake(t, clk, rt, stopped(fakeTask()), fakeTD(model.NetworkBridge, model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true}))
	s := h.waitStatus(model.TaskStopped)
	h.waitDone()
	if got := h.statuses(); !slices.Equal(got, []string{"PROVISIONING", "STOPPED"}) || rt.creates.Load() != 0 || s.StopCode != "" {
		t.Errorf("statuses = %v, creates %d, stop code %q: want the initial report, then STOPPED", got, rt.creates.Load(), s.StopCode)
	}
}

func TestUnhealthyEssentialContainerMakesTheTaskUnhealthy(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1")
	rt.SetImageBehavior("app:1", fake.Behavior{Health: []fake.HealthStep{{After: 5 * time.Second, Status: runtime.HealthHealthy}, {After: 20 * time.Second, Status: runtime.HealthUnhealthy}}})
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge, model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true,
		HealthCheck: &model.HealthCheck{Command: []string{"CMD", "/hc"}}}))
	h.waitStatus(model.TaskRunning)
	h.advance(5 * time.Second)
	h.waitFor("HEALTHY", func(s model.TaskState) bool { return s.HealthStatus == model.HealthHealthy })
	h.advance(15 * time.Second)
	s := h.waitFor("UNHEALTHY", func(s model.TaskState) bool { return s.HealthStatus == model.HealthUnhealthy })
	if s.LastStatus != model.TaskRunning {
		t.Errorf("state = %s: an unhealthy task keeps running (the service replaces it)", describe(s))
	}
}

func TestAwsvpcTaskGetsThePauseContainersAddress(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1", "wharf-pause:test")
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkAwsvpc, model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true,
		PortMappings: []model.PortMapping{{ContainerPort: i32(80), HostPort: i32(80)}}}))
	s := h.waitStatus(model.TaskRunning)
	if s.PrivateIPv4 != "172.18.0.2" || s.MACAddress != "02:42:ac:12:00:02" {
		t.Errorf("address = %q %q, want the pause container's", s.PrivateIPv4, s.MACAddress)
	}
	if c := container(s, "app"); len(c.NetworkBindings) != 0 {
		t.Errorf("bindings = %+v, want none in awsvpc mode", c.NetworkBindings)
	}
	pauses, _ := rt.List(context.Background(), map[string]string{runtime.LabelContainerName: pauseContainerName})
	if len(pauses) != 1 || !pauses[0].Running {
		t.Fatalf("pause containers = %+v, want one running", pauses)
	}
	h.runner.SetDesired(stopped(fakeTask()))
	h.waitStatus(model.TaskStopped)
	if _, err := rt.Inspect(context.Background(), pauses[0].ID); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("pause container after STOPPED: %v, want removed", err)
	}
	if err := h.runner.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if left, _ := rt.List(context.Background(), map[string]string{runtime.LabelTaskARN: fakeTask().ARN}); len(left) != 0 {
		t.Errorf("after Cleanup: %d containers left", len(left))
	}
}

type captureCall struct {
	id, group, stream string
	since             time.Time
}

type recordingCapture struct {
	calls chan captureCall
}

func (r *recordingCapture) Capture(ctx context.Context, id, group, stream string, since time.Time) {
	r.calls <- captureCall{id, group, stream, since}
}

func TestAwslogsCapture(t *testing.T) {
	clk := &manualClock{now: t0}
	rt := newFakeRuntime(clk, "app:1")
	logs := &recordingCapture{calls: make(chan captureCall, 10)}
	awslogs := func(opts map[string]string) *model.LogConfiguration {
		return &model.LogConfiguration{LogDriver: "awslogs", Options: opts}
	}
	h := startFake(t, clk, rt, fakeTask(), fakeTD(model.NetworkBridge,
		model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true, LogConfiguration: awslogs(map[string]string{"awslogs-group": "/ecs/web", "awslogs-stream-prefix": "ecs"})},
		model.ContainerDefinition{Name: "bare", Image: "app:1", LogConfiguration: awslogs(map[string]string{"awslogs-group": "/ecs/web"})},
		model.ContainerDefinition{Name: "json", Image: "app:1", LogConfiguration: &model.LogConfiguration{LogDriver: "json-file"}},
	), func(c *Config) { c.Logs = logs })
	s := h.waitStatus(model.TaskRunning)
	got := []captureCall{<-logs.calls, <-logs.calls}
	slices.SortFunc(got, func(a, b captureCall) int { return strings.Compare(a.id, b.id) })
	want := []captureCall{
		{container(s, "app").RuntimeID, "/ecs/web", "ecs/app/aaaabbbbccccdddd", t0},
		{container(s, "bare").RuntimeID, "/ecs/web", container(s, "bare").RuntimeID, t0},
	}
	if !slices.Equal(got, want) {
		t.Errorf("captures = %+v, want %+v", got, want)
	}
	select {
	case c := <-logs.calls:
		t.Errorf("unexpected capture %+v (json-file)", c)
	default:
	}
}
