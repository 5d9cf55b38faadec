package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/runtime"
	"github.com/wharfhq/wharf/internal/testutil/dockertest"
)

// These tests run on the real Docker engine (see dockertest). Every
// container and network they create is labelled wharf.test=<unique> and
// removed in t.Cleanup.

type harness struct {
	rt    *Runtime
	image string
	label string
}

func newHarness(t *testing.T) harness {
	t.Helper()
	image := dockertest.BuildTestApp(t)
	label := dockertest.Label(t)
	rt, err := New(Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	return harness{rt: rt, image: image, label: label}
}

// spec is a testapp container spec labelled for cleanup.
func (h harness) spec(env ...string) runtime.ContainerSpec {
	return runtime.ContainerSpec{
		Image:  h.image,
		Env:    env,
		Labels: map[string]string{runtime.LabelTest: h.label},
	}
}

// run creates and starts a container.
func (h harness) run(t *testing.T, spec runtime.ContainerSpec) string {
	t.Helper()
	ctx := context.Background()
	id, err := h.rt.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := h.rt.Start(ctx, id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return id
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitForLog follows the logs until a line contains text.
func (h harness) waitForLog(t *testing.T, id, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lines, err := h.rt.Logs(ctx, id, runtime.LogOptions{Follow: true})
	if err != nil {
		t.Fatalf("Logs: %v", err)
	}
	for l := range lines {
		if l.Err != nil {
			t.Fatalf("Logs: %v", l.Err)
		}
		if strings.Contains(l.Text, text) {
			return
		}
	}
	t.Fatalf("container %s never logged %q (%v)", id, text, ctx.Err())
}

// logs returns the container's output so far, per stream.
func (h harness) logs(t *testing.T, id string, opts runtime.LogOptions) map[runtime.LogStream][]string {
	t.Helper()
	lines, err := h.rt.Logs(testCtx(t), id, opts)
	if err != nil {
		t.Fatalf("Logs: %v", err)
	}
	out := map[runtime.LogStream][]string{}
	for l := range lines {
		if l.Err != nil {
			t.Fatalf("Logs: %v", l.Err)
		}
		if l.Time.IsZero() {
			t.Errorf("log line %q has no timestamp", l.Text)
		}
		out[l.Stream] = append(out[l.Stream], l.Text)
	}
	return out
}

func TestNewReportsUnreachableEngine(t *testing.T) {
	_, err := New(Options{Host: "unix:///nonexistent/docker.sock"})
	want := "cannot reach the Docker engine at unix:///nonexistent/docker.sock: is dockerd running?"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

func TestServesHTTPOnDynamicHostPort(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	spec := h.spec("LISTEN=:8080", "VERSION=v42")
	spec.Hostname = "web-1"
	spec.PortBindings = []runtime.PortBinding{{ContainerPort: 8080, HostIP: "127.0.0.1"}}
	id := h.run(t, spec)

	st, err := h.rt.Inspect(testCtx(t), id)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if !st.Running || st.Status != runtime.StatusRunning || st.ExitCode != nil || st.StartedAt.IsZero() {
		t.Fatalf("state = %+v, want running without exit code", st)
	}
	if len(st.Ports) != 1 || st.Ports[0].ContainerPort != 8080 || st.Ports[0].HostPort == 0 ||
		st.Ports[0].Protocol != runtime.TCP || st.Ports[0].HostIP != "127.0.0.1" {
		t.Fatalf("ports = %+v, want one dynamic 127.0.0.1 binding of 8080/tcp", st.Ports)
	}
	if ip := st.Networks["bridge"]; ip == "" {
		t.Errorf("networks = %v, want an IP on bridge", st.Networks)
	}

	url := fmt.Sprintf("http://127.0.0.1:%d/", st.Ports[0].HostPort)
	body, err := getWithRetry(url, 20*time.Second)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if want := "hello from web-1 v42"; !strings.Contains(body, want) {
		t.Errorf("GET / = %q, want %q", body, want)
	}
}

func getWithRetry(url string, within time.Duration) (string, error) {
	deadline := time.Now().Add(within)
	c := http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := c.Get(url)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				return string(b), nil
			}
			err = fmt.Errorf("status %s, read error %v", resp.Status, rerr)
		}
		if time.Now().After(deadline) {
			return "", err
		}
		time.Sleep(100 * time.Millisecond) // polling a real server, not waiting for a timer
	}
}

func TestStopDeliversSIGTERM(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// PRINT_LINES proves the signal handler is installed before we stop.
	id := h.run(t, h.spec("PRINT_LINES=1", "SIGTERM_EXIT_CODE=7"))
	h.waitForLog(t, id, "line 1")

	ctx := testCtx(t)
	if err := h.rt.Stop(ctx, id, 10*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st, err := h.rt.Inspect(ctx, id)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if st.Running || st.Status != runtime.StatusExited || st.ExitCode == nil || *st.ExitCode != 7 {
		t.Fatalf("state after Stop = %+v, want exited with code 7", st)
	}
	if st.FinishedAt.Before(st.StartedAt) {
		t.Errorf("FinishedAt %v before StartedAt %v", st.FinishedAt, st.StartedAt)
	}
	if out := h.logs(t, id, runtime.LogOptions{}); !slices.Contains(out[runtime.Stdout], "got SIGTERM") {
		t.Errorf("stdout = %q, want a line \"got SIGTERM\"", out[runtime.Stdout])
	}
	// Stopping a stopped container is fine.
	if err := h.rt.Stop(ctx, id, time.Second); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestStopKillsContainerIgnoringSIGTERM(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.run(t, h.spec("PRINT_LINES=1", "IGNORE_SIGTERM=1"))
	h.waitForLog(t, id, "line 1")

	ctx := testCtx(t)
	start := time.Now()
	if err := h.rt.Stop(ctx, id, time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("Stop returned after %v, before the 1s grace period", took)
	}
	st, err := h.rt.Inspect(ctx, id)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if st.ExitCode == nil || *st.ExitCode != 137 {
		t.Fatalf("state after Stop = %+v, want exit code 137 (SIGKILL)", st)
	}
	if out := h.logs(t, id, runtime.LogOptions{}); !slices.Contains(out[runtime.Stdout], "got SIGTERM, ignoring it") {
		t.Errorf("stdout = %q, want the ignored SIGTERM", out[runtime.Stdout])
	}
}

func TestHealthCheckAndEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := testCtx(t)
	events, errs := h.rt.Events(ctx)

	// The health endpoint answers with the status code written in a file
	// bind-mounted from the test's temp dir.
	dir := t.TempDir()
	healthFile := filepath.Join(dir, "status")
	writeFile(t, healthFile, "200")
	spec := h.spec("LISTEN=:8080", "HEALTH_FILE=/health/status")
	spec.Mounts = []runtime.Mount{{Type: runtime.MountBind, Source: dir, Target: "/health", ReadOnly: true}}
	spec.Healthcheck = &runtime.Healthcheck{
		Test:     []string{"CMD", "/testapp", "healthcheck", "http://127.0.0.1:8080/health"},
		Interval: 300 * time.Millisecond,
		Timeout:  2 * time.Second,
		Retries:  1,
	}
	id := h.run(t, spec)

	next := func(want runtime.EventType) runtime.Event {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("event stream ended waiting for %s: %v", want, <-errs)
				}
				if ev.ContainerID != id {
					continue // another test's container
				}
				if ev.Type == want {
					return ev
				}
				t.Logf("event %s %s", ev.Type, ev.Health)
			case <-ctx.Done():
				t.Fatalf("no %s event: %v", want, ctx.Err())
			}
		}
	}

	ev := next(runtime.EventStart)
	if ev.Labels[runtime.LabelTest] != h.label || ev.Labels[runtime.LabelManaged] != "true" || ev.Time.IsZero() {
		t.Errorf("start event = %+v, want our labels and a time", ev)
	}
	if ev = next(runtime.EventHealthStatus); ev.Health != runtime.HealthHealthy {
		t.Fatalf("first health event = %q, want healthy", ev.Health)
	}
	if st, err := h.rt.Inspect(ctx, id); err != nil || st.Health != runtime.HealthHealthy {
		t.Fatalf("Inspect = %+v, %v; want healthy", st, err)
	}

	writeFile(t, healthFile, "500")
	if ev = next(runtime.EventHealthStatus); ev.Health != runtime.HealthUnhealthy {
		t.Fatalf("health event after failing = %q, want unhealthy", ev.Health)
	}
	if st, err := h.rt.Inspect(ctx, id); err != nil || st.Health != runtime.HealthUnhealthy {
		t.Fatalf("Inspect = %+v, %v; want unhealthy", st, err)
	}

	if err := h.rt.Stop(ctx, id, 10*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if ev = next(runtime.EventDie); ev.ExitCode == nil || *ev.ExitCode != 0 {
		t.Fatalf("die event = %+v, want exit code 0", ev)
	}
	if err := h.rt.Remove(ctx, id); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	next(runtime.EventDestroy)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLogsKeepsStreamsApart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.run(t, h.spec("PRINT_LINES=3", "STDERR_TEXT=something went wrong", "EXIT_AFTER=0s", "EXIT_CODE=3"))

	// Following ends when the container exits.
	out := h.logs(t, id, runtime.LogOptions{Follow: true})
	wantOut := []string{"line 1", "line 2", "line 3", "exiting with code 3"}
	if !slices.Equal(out[runtime.Stdout], wantOut) {
		t.Errorf("stdout = %q, want %q", out[runtime.Stdout], wantOut)
	}
	if want := []string{"something went wrong"}; !slices.Equal(out[runtime.Stderr], want) {
		t.Errorf("stderr = %q, want %q", out[runtime.Stderr], want)
	}
	st, err := h.rt.Inspect(testCtx(t), id)
	if err != nil || st.ExitCode == nil || *st.ExitCode != 3 {
		t.Fatalf("Inspect = %+v, %v; want exit code 3", st, err)
	}
	if out := h.logs(t, id, runtime.LogOptions{Since: time.Now().Add(time.Hour)}); len(out) != 0 {
		t.Errorf("logs since an hour from now = %q, want none", out)
	}
}

func TestListFindsOnlyLabelledContainers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	other := dockertest.Label(t)
	ctx := testCtx(t)

	create := func(label, role string) string {
		spec := h.spec()
		spec.Labels = map[string]string{runtime.LabelTest: label, "role": role}
		id, err := h.rt.Create(ctx, spec)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		return id
	}
	a := create(h.label, "a")
	b := create(h.label, "b")
	create(other, "a")

	ids := func(labels map[string]string) []string {
		t.Helper()
		cs, err := h.rt.List(ctx, labels)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
			if c.Status != runtime.StatusCreated || c.Running || c.ExitCode != nil {
				t.Errorf("listed %s: %+v, want created and not running", c.ID, c)
			}
			if c.Labels[runtime.LabelManaged] != "true" || c.Image != h.image {
				t.Errorf("listed %s: labels %v image %q", c.ID, c.Labels, c.Image)
			}
		}
		slices.Sort(out)
		return out
	}
	want := []string{a, b}
	slices.Sort(want)
	if got := ids(map[string]string{runtime.LabelTest: h.label}); !slices.Equal(got, want) {
		t.Errorf("List(test label) = %v, want %v", got, want)
	}
	if got := ids(map[string]string{runtime.LabelTest: h.label, "role": "a"}); !slices.Equal(got, []string{a}) {
		t.Errorf("List(test label, role=a) = %v, want [%s]", got, a)
	}
}

func TestMissingThingsMapToSentinels(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := testCtx(t)
	const ghost = "wharf-no-such-container"
	if _, err := h.rt.Inspect(ctx, ghost); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Inspect: %v, want ErrNotFound", err)
	}
	if err := h.rt.Start(ctx, ghost); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Start: %v, want ErrNotFound", err)
	}
	if err := h.rt.Remove(ctx, ghost); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Remove: %v, want ErrNotFound", err)
	}
	if _, err := h.rt.Logs(ctx, ghost, runtime.LogOptions{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Logs: %v, want ErrNotFound", err)
	}

	const missing = "wharf-no-such-image:latest"
	if _, err := h.rt.Create(ctx, runtime.ContainerSpec{Image: missing}); !errors.Is(err, runtime.ErrImageNotFound) {
		t.Errorf("Create: %v, want ErrImageNotFound", err)
	}
	// No registry is reachable here; either way the image cannot be had.
	if err := h.rt.Pull(ctx, missing, nil); !errors.Is(err, runtime.ErrImageNotFound) {
		t.Errorf("Pull: %v, want ErrImageNotFound", err)
	}
	if ok, err := h.rt.ImageExists(ctx, missing); ok || err != nil {
		t.Errorf("ImageExists(missing) = %v, %v; want false, nil", ok, err)
	}
	if ok, err := h.rt.ImageExists(ctx, h.image); !ok || err != nil {
		t.Errorf("ImageExists(testapp) = %v, %v; want true, nil", ok, err)
	}

	spec := h.spec()
	spec.Name = "wharf-test-" + h.label
	if _, err := h.rt.Create(ctx, spec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := h.rt.Create(ctx, spec); !errors.Is(err, runtime.ErrConflict) {
		t.Errorf("Create with a taken name: %v, want ErrConflict", err)
	}
}

func TestStatsReportsUsageAndLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	spec := h.spec("PRINT_LINES=1")
	spec.MemoryBytes = 64 << 20
	id := h.run(t, spec)
	h.waitForLog(t, id, "line 1")

	s, err := h.rt.Stats(testCtx(t), id)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if s.MemoryLimitBytes != 64<<20 || s.MemoryUsageBytes == 0 || s.CPUTotalNanos == 0 || s.Time.IsZero() {
		t.Errorf("stats = %+v, want 64MiB limit and some usage", s)
	}
}

func TestEnsureNetworkAndAliases(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := testCtx(t)
	name := "wharf-" + h.label
	labels := map[string]string{runtime.LabelTest: h.label}

	n, err := h.rt.EnsureNetwork(ctx, name, labels)
	if err != nil {
		t.Fatalf("EnsureNetwork: %v", err)
	}
	if n.ID == "" || n.Name != name || !n.Subnet.IsValid() || n.Labels[runtime.LabelManaged] != "true" {
		t.Fatalf("network = %+v, want an ID, a subnet and the managed label", n)
	}
	again, err := h.rt.EnsureNetwork(ctx, name, labels)
	if err != nil || again.ID != n.ID {
		t.Fatalf("second EnsureNetwork = %+v, %v; want the same network %s", again, err, n.ID)
	}

	spec := h.spec("LISTEN=:8080")
	spec.NetworkMode = name
	spec.NetworkAliases = []string{"web"}
	id := h.run(t, spec)
	st, err := h.rt.Inspect(ctx, id)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if ip := st.Networks[name]; ip == "" {
		t.Errorf("networks = %v, want an address on %s", st.Networks, name)
	}
}
