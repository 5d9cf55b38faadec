package taskrun

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
	"github.com/wharfhq/wharf/internal/runtime/docker"
	"github.com/wharfhq/wharf/internal/testutil/dockertest"
)

// These tests run tasks on the real Docker engine with the testapp image.
// Every container and network is labelled wharf.test=<unique> and removed
// in t.Cleanup. They run in parallel: most of their time is waiting.

type dockerHarness struct {
	t      *testing.T
	rt     *docker.Runtime
	image  string
	label  string
	runner *Runner
	states chan model.TaskState
	done   chan struct{}
	last   model.TaskState
}

func dockerTask(label string) model.Task {
	id := strings.ReplaceAll(label, "-", "")
	if len(id) > 32 {
		id = id[len(id)-32:]
	}
	return model.Task{ARN: "arn:aws:ecs:us-east-1:000000000000:task/test/" + id, ID: id, ClusterName: "test",
		Family: "t", Revision: 1, DesiredStatus: model.DesiredRunning}
}

func testappDef(name string, env ...string) model.ContainerDefinition {
	c := model.ContainerDefinition{Name: name, Essential: true, StopTimeout: i32(5)}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		c.Environment = append(c.Environment, model.KeyValue{Name: k, Value: v})
	}
	return c
}

func startDocker(t *testing.T, mode string, cs []model.ContainerDefinition, opts ...harnessOption) *dockerHarness {
	t.Helper()
	t.Parallel()
	image := dockertest.BuildTestApp(t)
	label := dockertest.Label(t)
	rt, err := docker.New(docker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	for i := range cs {
		if cs[i].Image == "" {
			cs[i].Image = image
		}
	}
	h := &dockerHarness{t: t, rt: rt, image: image, label: label, states: make(chan model.TaskState, 1000), done: make(chan struct{})}
	task := dockerTask(label)
	cfg := Config{
		Runtime: rt, Task: task, TaskDef: model.TaskDefinition{Family: "t", Revision: 1, NetworkMode: mode, ContainerDefinitions: cs},
		Report: func(s model.TaskState) { h.states <- s },
		Labels: map[string]string{runtime.LabelTest: label},
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.runner = New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
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

func (h *dockerHarness) waitFor(what string, ok func(model.TaskState) bool) model.TaskState {
	h.t.Helper()
	if ok(h.last) {
		return h.last
	}
	timeout := time.After(40 * time.Second)
	for {
		select {
		case s := <-h.states:
			h.last = s
			if ok(s) {
				return s
			}
		case <-timeout:
			h.t.Fatalf("timed out waiting for %s; last state %s", what, describe(h.last))
		}
	}
}

func (h *dockerHarness) waitStatus(st model.TaskStatus) model.TaskState {
	h.t.Helper()
	return h.waitFor(st.String(), func(s model.TaskState) bool { return s.LastStatus == st })
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	var lastErr error
	for range 20 { // the listener may lag the container start by a moment
		resp, err := c.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b)
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, lastErr)
	return ""
}

func TestDockerBridgeTaskServesAndStopsOnSIGTERM(t *testing.T) {
	app := testappDef("web", "LISTEN=:8080", "SIGTERM_EXIT_CODE=42")
	app.PortMappings = []model.PortMapping{{ContainerPort: i32(8080)}}
	h := startDocker(t, model.NetworkBridge, []model.ContainerDefinition{app})
	s := h.waitStatus(model.TaskRunning)
	b := container(s, "web").NetworkBindings
	if len(b) != 1 || b[0].HostPort == 0 || b[0].BindIP != "0.0.0.0" || b[0].ContainerPort != 8080 {
		t.Fatalf("networkBindings = %+v, want one dynamic binding", b)
	}
	if body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", b[0].HostPort)); !strings.HasPrefix(body, "hello from") {
		t.Errorf("GET / = %q", body)
	}
	h.runner.SetDesired(stopped(h.runner.cfg.Task))
	s = h.waitStatus(model.TaskStopped)
	if c := container(s, "web"); c.ExitCode == nil || *c.ExitCode != 42 || c.Reason != "" {
		t.Errorf("web = %+v exit %s, want 42 from SIGTERM", c, exitCodeText(c.ExitCode))
	}
}

func TestDockerEssentialExit(t *testing.T) {
	h := startDocker(t, model.NetworkBridge, []model.ContainerDefinition{testappDef("job", "EXIT_AFTER=1s", "EXIT_CODE=3")})
	s := h.waitStatus(model.TaskStopped)
	if s.StopCode != model.StopEssentialContainerExited || *container(s, "job").ExitCode != 3 {
		t.Errorf("state = %s, want EssentialContainerExited with exit code 3", describe(s))
	}
}

func TestDockerHealthyDependencyAndUnhealthyTask(t *testing.T) {
	hc := func(interval int32) *model.HealthCheck {
		return &model.HealthCheck{Command: []string{"CMD", "/testapp", "healthcheck", "http://127.0.0.1:8080/health"}, Interval: interval, Timeout: 2, Retries: 1}
	}
	db := testappDef("db", "LISTEN=:8080")
	db.HealthCheck = hc(1)
	app := testappDef("app")
	app.DependsOn = []model.ContainerDependency{{ContainerName: "db", Condition: model.DependsHealthy}}
	sick := testappDef("sick", "LISTEN=:8080", "HEALTH_STATUS=500")
	sick.HealthCheck = hc(1)
	h := startDocker(t, model.NetworkBridge, []model.ContainerDefinition{app, db, sick})
	s := h.waitFor("app RUNNING", func(s model.TaskState) bool { return container(s, "app").LastStatus == model.ContainerRunning })
	if container(s, "db").HealthStatus != model.HealthHealthy {
		t.Errorf("app started while db was %s", container(s, "db").HealthStatus)
	}
	s = h.waitFor("task UNHEALTHY", func(s model.TaskState) bool { return s.HealthStatus == model.HealthUnhealthy })
	if s.LastStatus != model.TaskRunning || container(s, "sick").HealthStatus != model.HealthUnhealthy {
		t.Errorf("state = %s, want RUNNING with sick UNHEALTHY", describe(s))
	}
}

func TestDockerKillBehindTheAgentsBack(t *testing.T) {
	h := startDocker(t, model.NetworkBridge, []model.ContainerDefinition{testappDef("app")})
	s := h.waitStatus(model.TaskRunning)
	c := dockertest.RequireDocker(t)
	if _, err := c.ContainerKill(context.Background(), container(s, "app").RuntimeID, client.ContainerKillOptions{}); err != nil {
		t.Fatal(err)
	}
	s = h.waitStatus(model.TaskStopped)
	app := container(s, "app")
	if app.ExitCode == nil || *app.ExitCode != 137 || !strings.Contains(app.Reason, "SIGKILL") || s.StopCode != model.StopEssentialContainerExited {
		t.Errorf("state = %s, want app 137 killed by SIGKILL and EssentialContainerExited", describe(s))
	}
}

func TestDockerAwsvpcTaskHasItsOwnAddress(t *testing.T) {
	static, _ := buildPause(t)
	rt, err := docker.New(docker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	pause, err := EnsurePauseImage(context.Background(), rt, static)
	if err != nil {
		t.Fatal(err)
	}
	app := testappDef("web", "LISTEN=:8080")
	app.PortMappings = []model.PortMapping{{ContainerPort: i32(8080), HostPort: i32(8080)}}
	var network string
	h := startDocker(t, model.NetworkAwsvpc, []model.ContainerDefinition{app}, func(c *Config) {
		network = "wharf-test-" + c.Labels[runtime.LabelTest]
		c.AwsvpcNetwork, c.PauseImage = network, pause
	})
	s := h.waitStatus(model.TaskRunning)
	if s.PrivateIPv4 == "" || len(container(s, "web").NetworkBindings) != 0 {
		t.Fatalf("state = %+v, want a private IP and no host bindings", s)
	}
	if body := httpGet(t, "http://"+s.PrivateIPv4+":8080/"); !strings.HasPrefix(body, "hello from") {
		t.Errorf("GET / = %q", body)
	}
	h.runner.SetDesired(stopped(h.runner.cfg.Task))
	h.waitStatus(model.TaskStopped)
	left, err := rt.List(context.Background(), map[string]string{runtime.LabelTaskARN: h.runner.cfg.Task.ARN, runtime.LabelContainerName: pauseContainerName})
	if err != nil || len(left) != 0 {
		t.Errorf("pause containers after STOPPED = %d, %v; want removed", len(left), err)
	}
}

func TestDockerMissingImage(t *testing.T) {
	// A registry on a closed loopback port: the pull fails at once.
	h := startDocker(t, model.NetworkBridge, []model.ContainerDefinition{{Name: "app", Image: "127.0.0.1:1/wharf-missing:1", Essential: true}})
	s := h.waitStatus(model.TaskStopped)
	if s.StopCode != model.StopTaskFailedToStart || !strings.HasPrefix(s.StoppedReason, "CannotPullContainerError: ") || container(s, "app").Reason != s.StoppedReason {
		t.Errorf("state = %s, want CannotPullContainerError", describe(s))
	}
}

func TestDockerDynamicPauseImageRuns(t *testing.T) {
	t.Parallel()
	_, dynamic := buildPause(t)
	label := dockertest.Label(t)
	rt, err := docker.New(docker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	ctx := context.Background()
	image, err := EnsurePauseImage(ctx, rt, dynamic)
	if err != nil {
		t.Fatal(err)
	}
	id, err := rt.Create(ctx, runtime.ContainerSpec{Image: image, Labels: map[string]string{runtime.LabelTest: label}, NetworkMode: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	// Wait until it handles SIGTERM: a missing interpreter or library would
	// have ended it before it printed anything.
	logCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	lines, err := rt.Logs(logCtx, id, runtime.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	ready := false
	for l := range lines {
		if l.Text == "ready" {
			ready = true
			break
		}
	}
	if !ready {
		t.Fatal("the dynamically linked pause binary never got ready")
	}
	cancel()
	if err := rt.Stop(ctx, id, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	st, err := rt.Inspect(ctx, id)
	if err != nil || st.ExitCode == nil || *st.ExitCode != 0 {
		t.Errorf("dynamically linked pause: %+v, %v; want it ran and exited 0 on SIGTERM", st, err)
	}
}
