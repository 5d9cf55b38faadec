package fake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/runtime"
)

const img = "app:1"

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func newRuntime(t *testing.T) (*Runtime, <-chan runtime.Event) {
	t.Helper()
	r := New(Options{Images: []string{img}})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	events, _ := r.Events(ctx)
	return r, events
}

func run(t *testing.T, r *Runtime, spec runtime.ContainerSpec) string {
	t.Helper()
	ctx := context.Background()
	if spec.Image == "" {
		spec.Image = img
	}
	id, err := r.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := r.Start(ctx, id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return id
}

func inspect(t *testing.T, r *Runtime, id string) runtime.ContainerState {
	t.Helper()
	st, err := r.Inspect(context.Background(), id)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	return st
}

// next reads n events. Events are queued synchronously by the call that
// caused them, so they are already there: the timeout only guards bugs.
func next(t *testing.T, events <-chan runtime.Event, n int) []runtime.Event {
	t.Helper()
	var out []runtime.Event
	timeout := time.After(5 * time.Second)
	for len(out) < n {
		select {
		case ev := <-events:
			out = append(out, ev)
		case <-timeout:
			t.Fatalf("got %d events %v, want %d", len(out), summary(out), n)
		}
	}
	return out
}

// summary renders events as "start", "die:3", "health_status:healthy" @ offset.
func summary(evs []runtime.Event) []string {
	var out []string
	for _, ev := range evs {
		s := string(ev.Type)
		switch {
		case ev.ExitCode != nil:
			s += fmt.Sprintf(":%d", *ev.ExitCode)
		case ev.Health != "":
			s += ":" + ev.Health
		}
		out = append(out, fmt.Sprintf("%s@%s", s, ev.Time.Sub(t0)))
	}
	return out
}

func exitCode(st runtime.ContainerState) int {
	if st.ExitCode == nil {
		return -1
	}
	return *st.ExitCode
}

func TestRunsForConfiguredDurationThenExits(t *testing.T) {
	r, events := newRuntime(t)
	r.SetImageBehavior(img, Behavior{RunFor: 10 * time.Second, ExitCode: 3})
	id := run(t, r, runtime.ContainerSpec{Labels: map[string]string{"k": "v"}})

	r.Advance(9 * time.Second)
	if st := inspect(t, r, id); !st.Running || st.Status != runtime.StatusRunning || st.ExitCode != nil || !st.StartedAt.Equal(t0) {
		t.Fatalf("after 9s: %+v, want running since t0", st)
	}
	r.Advance(5 * time.Second)
	st := inspect(t, r, id)
	if st.Running || st.Status != runtime.StatusExited || exitCode(st) != 3 || !st.FinishedAt.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("after 14s: %+v, want exited 3 at 10s", st)
	}
	evs := next(t, events, 2)
	if got, want := summary(evs), []string{"start@0s", "die:3@10s"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if evs[0].ContainerID != id || evs[0].Labels["k"] != "v" || evs[0].Labels[runtime.LabelManaged] != "true" {
		t.Errorf("start event = %+v, want our ID and labels", evs[0])
	}
}

func TestStopExitsWithStopExitCode(t *testing.T) {
	r, events := newRuntime(t)
	r.SetImageBehavior(img, Behavior{StopExitCode: 143})
	id := run(t, r, runtime.ContainerSpec{})
	r.Advance(time.Minute)
	if err := r.Stop(context.Background(), id, 30*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if st := inspect(t, r, id); exitCode(st) != 143 {
		t.Fatalf("state = %+v, want exit code 143", st)
	}
	if got, want := summary(next(t, events, 2)), []string{"start@0s", "die:143@1m0s"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if err := r.Stop(context.Background(), id, time.Second); err != nil {
		t.Errorf("Stop of a stopped container: %v", err)
	}
}

func TestStopKillsAfterTimeoutWhenStopIsIgnored(t *testing.T) {
	for _, b := range []Behavior{{IgnoreStop: true}, {StopDelay: time.Minute}} {
		r, events := newRuntime(t)
		r.SetImageBehavior(img, b)
		id := run(t, r, runtime.ContainerSpec{})

		stopped := make(chan error)
		go func() { stopped <- r.Stop(context.Background(), id, 10*time.Second) }()
		r.WaitForStops(1)
		r.Advance(9 * time.Second)
		if st := inspect(t, r, id); !st.Running {
			t.Fatalf("%+v: stopped before the timeout: %+v", b, st)
		}
		r.Advance(time.Second)
		if err := <-stopped; err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if st := inspect(t, r, id); exitCode(st) != 137 {
			t.Fatalf("%+v: state = %+v, want killed (137)", b, st)
		}
		if got, want := summary(next(t, events, 2)), []string{"start@0s", "die:137@10s"}; !slices.Equal(got, want) {
			t.Errorf("%+v: events = %v, want %v", b, got, want)
		}
	}
}

func TestStopWaitsForStopDelay(t *testing.T) {
	r, events := newRuntime(t)
	r.SetImageBehavior(img, Behavior{StopDelay: 2 * time.Second, StopExitCode: 0})
	id := run(t, r, runtime.ContainerSpec{})
	stopped := make(chan error)
	go func() { stopped <- r.Stop(context.Background(), id, 10*time.Second) }()
	r.WaitForStops(1)
	r.Advance(2 * time.Second)
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if got, want := summary(next(t, events, 2)), []string{"start@0s", "die:0@2s"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestStartFailureLeavesContainerCreated(t *testing.T) {
	r, _ := newRuntime(t)
	boom := errors.New(`exec: "/app": no such file or directory`)
	r.SetImageBehavior(img, Behavior{StartErr: boom})
	id, err := r.Create(context.Background(), runtime.ContainerSpec{Image: img})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := r.Start(context.Background(), id); !errors.Is(err, boom) {
		t.Fatalf("Start: %v, want %v", err, boom)
	}
	if st := inspect(t, r, id); st.Status != runtime.StatusCreated || st.Running || st.Error != boom.Error() {
		t.Fatalf("state = %+v, want created with the error", st)
	}
}

func TestOOMKill(t *testing.T) {
	r, events := newRuntime(t)
	r.SetImageBehavior(img, Behavior{RunFor: 5 * time.Second, OOM: true})
	id := run(t, r, runtime.ContainerSpec{})
	r.Advance(5 * time.Second)
	if st := inspect(t, r, id); !st.OOMKilled || exitCode(st) != 137 {
		t.Fatalf("state = %+v, want OOM-killed", st)
	}
	if got, want := summary(next(t, events, 3)), []string{"start@0s", "oom@5s", "die:137@5s"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestHealthSequence(t *testing.T) {
	hc := &runtime.Healthcheck{Test: []string{"CMD", "/testapp", "healthcheck"}, Interval: 5 * time.Second}
	t.Run("configured", func(t *testing.T) {
		r, events := newRuntime(t)
		r.SetImageBehavior(img, Behavior{Health: []HealthStep{
			{After: 5 * time.Second, Status: runtime.HealthHealthy},
			{After: 10 * time.Second, Status: runtime.HealthHealthy}, // no change, no event
			{After: 20 * time.Second, Status: runtime.HealthUnhealthy},
		}})
		id := run(t, r, runtime.ContainerSpec{Healthcheck: hc})
		if st := inspect(t, r, id); st.Health != runtime.HealthStarting {
			t.Fatalf("health at start = %q, want starting", st.Health)
		}
		r.Advance(7 * time.Second)
		if st := inspect(t, r, id); st.Health != runtime.HealthHealthy {
			t.Fatalf("health at 7s = %q, want healthy", st.Health)
		}
		r.Advance(time.Minute)
		if st := inspect(t, r, id); st.Health != runtime.HealthUnhealthy {
			t.Fatalf("health at 67s = %q, want unhealthy", st.Health)
		}
		want := []string{"start@0s", "health_status:healthy@5s", "health_status:unhealthy@20s"}
		if got := summary(next(t, events, 3)); !slices.Equal(got, want) {
			t.Errorf("events = %v, want %v", got, want)
		}
	})
	t.Run("default is healthy after one interval", func(t *testing.T) {
		r, _ := newRuntime(t)
		id := run(t, r, runtime.ContainerSpec{Healthcheck: hc})
		r.Advance(5 * time.Second)
		if st := inspect(t, r, id); st.Health != runtime.HealthHealthy {
			t.Fatalf("health = %q, want healthy", st.Health)
		}
	})
	t.Run("no health without a healthcheck", func(t *testing.T) {
		r, _ := newRuntime(t)
		r.SetImageBehavior(img, Behavior{Health: []HealthStep{{Status: runtime.HealthHealthy}}})
		id := run(t, r, runtime.ContainerSpec{})
		r.Advance(time.Minute)
		if st := inspect(t, r, id); st.Health != "" {
			t.Fatalf("health = %q, want none", st.Health)
		}
	})
}

func TestImages(t *testing.T) {
	r := New(Options{})
	ctx := context.Background()
	unreachable := errors.New("registry unreachable")
	r.SetImageBehavior("private:1", Behavior{PullErr: unreachable})

	if _, err := r.Create(ctx, runtime.ContainerSpec{Image: "public:1"}); !errors.Is(err, runtime.ErrImageNotFound) {
		t.Fatalf("Create before pull: %v, want ErrImageNotFound", err)
	}
	var progress []string
	if err := r.Pull(ctx, "public:1", func(s string) { progress = append(progress, s) }); err != nil || len(progress) == 0 {
		t.Fatalf("Pull = %v, progress %q", err, progress)
	}
	if ok, _ := r.ImageExists(ctx, "public:1"); !ok {
		t.Fatalf("ImageExists after pull = false")
	}
	if _, err := r.Create(ctx, runtime.ContainerSpec{Image: "public:1"}); err != nil {
		t.Fatalf("Create after pull: %v", err)
	}
	err := r.Pull(ctx, "private:1", nil)
	if !errors.Is(err, runtime.ErrImageNotFound) || !errors.Is(err, unreachable) {
		t.Fatalf("Pull with PullErr: %v, want ErrImageNotFound and the configured error", err)
	}
	if ok, _ := r.ImageExists(ctx, "private:1"); ok {
		t.Fatalf("ImageExists after failed pull = true")
	}
}

func TestContainerBehaviorWinsOverImageBehavior(t *testing.T) {
	r, _ := newRuntime(t)
	r.SetImageBehavior(img, Behavior{RunFor: time.Second, ExitCode: 1})
	r.SetContainerBehavior("web", Behavior{RunFor: time.Second, ExitCode: 2})
	r.SetContainerBehavior("docker-name", Behavior{RunFor: time.Second, ExitCode: 3})
	byLabel := run(t, r, runtime.ContainerSpec{Labels: map[string]string{runtime.LabelContainerName: "web"}})
	byName := run(t, r, runtime.ContainerSpec{Name: "docker-name"})
	byImage := run(t, r, runtime.ContainerSpec{})
	r.Advance(time.Second)
	for id, want := range map[string]int{byLabel: 2, byName: 3, byImage: 1} {
		if got := exitCode(inspect(t, r, id)); got != want {
			t.Errorf("container %s exit code = %d, want %d", id, got, want)
		}
	}
}

func TestListRemoveAndErrors(t *testing.T) {
	r, events := newRuntime(t)
	ctx := context.Background()
	a := run(t, r, runtime.ContainerSpec{Name: "a", Labels: map[string]string{runtime.LabelTaskARN: "t1", "role": "web"}})
	b, _ := r.Create(ctx, runtime.ContainerSpec{Name: "b", Image: img, Labels: map[string]string{runtime.LabelTaskARN: "t1"}})
	run(t, r, runtime.ContainerSpec{Name: "c", Labels: map[string]string{runtime.LabelTaskARN: "t2"}})

	ids := func(labels map[string]string) []string {
		cs, err := r.List(ctx, labels)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	if got := ids(map[string]string{runtime.LabelTaskARN: "t1"}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("List(t1) = %v, want [a b]", got)
	}
	if got := ids(map[string]string{runtime.LabelTaskARN: "t1", "role": "web"}); !slices.Equal(got, []string{"a"}) {
		t.Errorf("List(t1, web) = %v, want [a]", got)
	}
	if got := ids(nil); len(got) != 3 {
		t.Errorf("List(nil) = %v, want all 3", got)
	}
	if _, err := r.Create(ctx, runtime.ContainerSpec{Name: "a", Image: img}); !errors.Is(err, runtime.ErrConflict) {
		t.Errorf("Create with a taken name: %v, want ErrConflict", err)
	}

	if err := r.Remove(ctx, a); err != nil { // running: killed first
		t.Fatalf("Remove: %v", err)
	}
	if err := r.Remove(ctx, "b"); err != nil { // by name
		t.Fatalf("Remove b: %v", err)
	}
	if _, err := r.Inspect(ctx, a); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Inspect removed: %v, want ErrNotFound", err)
	}
	if err := r.Start(ctx, b); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Start removed: %v, want ErrNotFound", err)
	}
	if err := r.Remove(ctx, a); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("second Remove: %v, want ErrNotFound", err)
	}
	want := []string{"start@0s", "start@0s", "die:137@0s", "destroy@0s", "destroy@0s"}
	if got := summary(next(t, events, 5)); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestPortsAndNetworks(t *testing.T) {
	r, _ := newRuntime(t)
	ctx := context.Background()
	ports := []runtime.PortBinding{{ContainerPort: 80}, {ContainerPort: 53, HostPort: 5353, Protocol: runtime.UDP, HostIP: "127.0.0.1"}}
	a := run(t, r, runtime.ContainerSpec{PortBindings: ports})
	b := run(t, r, runtime.ContainerSpec{PortBindings: ports[:1]})

	sa, sb := inspect(t, r, a), inspect(t, r, b)
	wantA := []runtime.PortMapping{
		{ContainerPort: 80, HostPort: 32768, Protocol: runtime.TCP, HostIP: "0.0.0.0"},
		{ContainerPort: 53, HostPort: 5353, Protocol: runtime.UDP, HostIP: "127.0.0.1"},
	}
	if !slices.Equal(sa.Ports, wantA) {
		t.Errorf("ports of a = %+v, want %+v", sa.Ports, wantA)
	}
	if len(sb.Ports) != 1 || sb.Ports[0].HostPort != 32769 {
		t.Errorf("ports of b = %+v, want the next dynamic port", sb.Ports)
	}
	if sa.Networks["bridge"] != "172.17.0.2" || sb.Networks["bridge"] != "172.17.0.3" {
		t.Errorf("networks = %v, %v; want 172.17.0.2 and .3 on bridge", sa.Networks, sb.Networks)
	}

	n, err := r.EnsureNetwork(ctx, "task-net", map[string]string{"k": "v"})
	if err != nil || n.Subnet.String() != "172.18.0.0/16" || n.Labels[runtime.LabelManaged] != "true" || n.Labels["k"] != "v" {
		t.Fatalf("EnsureNetwork = %+v, %v", n, err)
	}
	if again, _ := r.EnsureNetwork(ctx, "task-net", nil); again.ID != n.ID {
		t.Errorf("second EnsureNetwork returned %s, want %s", again.ID, n.ID)
	}
	c := run(t, r, runtime.ContainerSpec{NetworkMode: "task-net", NetworkAliases: []string{"web"}})
	if ip := inspect(t, r, c).Networks["task-net"]; ip != "172.18.0.2" {
		t.Errorf("address on task-net = %q, want 172.18.0.2", ip)
	}
	if _, err := r.Create(ctx, runtime.ContainerSpec{Image: img, NetworkMode: "missing-net"}); err == nil {
		t.Errorf("Create on a missing network succeeded")
	}
	if _, err := r.Create(ctx, runtime.ContainerSpec{Image: img, NetworkAliases: []string{"x"}}); err == nil {
		t.Errorf("Create with aliases on bridge succeeded")
	}

	if err := r.Stop(ctx, a, time.Second); err != nil {
		t.Fatal(err)
	}
	if st := inspect(t, r, a); st.Ports != nil || st.Networks["bridge"] != "" {
		t.Errorf("after stop: ports %v networks %v, want none bound", st.Ports, st.Networks)
	}
}

func TestLogs(t *testing.T) {
	r, _ := newRuntime(t)
	ctx := context.Background()
	r.SetImageBehavior(img, Behavior{RunFor: time.Minute, Output: []OutputLine{
		{Stream: runtime.Stdout, Text: "hello"},
		{Stream: runtime.Stderr, Text: "warning"},
	}})
	id := run(t, r, runtime.ContainerSpec{})

	follow, err := r.Logs(ctx, id, runtime.LogOptions{Follow: true})
	if err != nil {
		t.Fatalf("Logs: %v", err)
	}
	if l := <-follow; l.Stream != runtime.Stdout || l.Text != "hello" || !l.Time.Equal(t0) {
		t.Errorf("first line = %+v", l)
	}
	if l := <-follow; l.Stream != runtime.Stderr || l.Text != "warning" {
		t.Errorf("second line = %+v", l)
	}
	r.Advance(10 * time.Second)
	if err := r.WriteOutput(id, runtime.Stdout, "later"); err != nil {
		t.Fatal(err)
	}
	if l := <-follow; l.Text != "later" || !l.Time.Equal(t0.Add(10*time.Second)) {
		t.Errorf("followed line = %+v", l)
	}
	r.Advance(time.Minute) // the container exits: following ends
	if l, ok := <-follow; ok {
		t.Errorf("stream still open after exit: %+v", l)
	}

	since, _ := r.Logs(ctx, id, runtime.LogOptions{Since: t0.Add(time.Second)})
	var texts []string
	for l := range since {
		texts = append(texts, l.Text)
	}
	if !slices.Equal(texts, []string{"later"}) {
		t.Errorf("logs since 1s = %q, want [later]", texts)
	}
	if _, err := r.Logs(ctx, "nope", runtime.LogOptions{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Logs of missing container: %v, want ErrNotFound", err)
	}
}

func TestStats(t *testing.T) {
	r, _ := newRuntime(t)
	r.SetImageBehavior(img, Behavior{Stats: runtime.Stats{CPUTotalNanos: 5e9, MemoryUsageBytes: 10 << 20}})
	id := run(t, r, runtime.ContainerSpec{MemoryBytes: 64 << 20})
	s, err := r.Stats(context.Background(), id)
	if err != nil || s.CPUTotalNanos != 5e9 || s.MemoryUsageBytes != 10<<20 || s.MemoryLimitBytes != 64<<20 || !s.Time.Equal(t0) {
		t.Fatalf("Stats = %+v, %v", s, err)
	}
}

func TestExternalClock(t *testing.T) {
	now := t0
	r := New(Options{Now: func() time.Time { return now }, Images: []string{img}})
	r.SetImageBehavior(img, Behavior{RunFor: time.Minute})
	id := run(t, r, runtime.ContainerSpec{})
	now = now.Add(time.Minute)
	r.Sync()
	if st := inspect(t, r, id); st.Running || !st.FinishedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("state = %+v, want exited at 1m", st)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Advance with an external clock did not panic")
		}
	}()
	r.Advance(time.Second)
}

func TestEventsEndWithContextError(t *testing.T) {
	r := New(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	events, errs := r.Events(ctx)
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if _, ok := <-events; ok {
		t.Errorf("events channel still open")
	}
}

func TestThousandsOfContainers(t *testing.T) {
	const n = 5000
	r, events := newRuntime(t)
	r.SetImageBehavior(img, Behavior{RunFor: time.Hour})
	ctx := context.Background()
	for i := range n {
		spec := runtime.ContainerSpec{Image: img, Labels: map[string]string{runtime.LabelTaskARN: fmt.Sprint(i % 10)}}
		if i%2 == 0 {
			r.SetContainerBehavior(fmt.Sprintf("c%d", i), Behavior{RunFor: time.Duration(i+1) * time.Second, ExitCode: 1})
			spec.Name = fmt.Sprintf("c%d", i)
		}
		run(t, r, spec)
	}
	r.Advance(time.Duration(n) * time.Second)
	cs, err := r.List(ctx, map[string]string{runtime.LabelTaskARN: "0"})
	if err != nil || len(cs) != n/10 {
		t.Fatalf("List = %d containers, %v", len(cs), err)
	}
	for _, c := range cs { // i%10 == 0 ⇒ even ⇒ exited with 1
		if exitCode(c) != 1 {
			t.Fatalf("container %s: %+v, want exited 1", c.Name, c)
		}
	}
	evs := next(t, events, n+n/2)
	for i := 1; i < len(evs); i++ {
		if evs[i].Time.Before(evs[i-1].Time) {
			t.Fatalf("events out of time order at %d: %v then %v", i, evs[i-1].Time, evs[i].Time)
		}
	}
}

func BenchmarkStartAndExit(b *testing.B) {
	r := New(Options{Images: []string{img}})
	r.SetImageBehavior(img, Behavior{RunFor: time.Second})
	ctx := context.Background()
	for b.Loop() {
		id, _ := r.Create(ctx, runtime.ContainerSpec{Image: img})
		_ = r.Start(ctx, id)
		r.Advance(time.Second)
		_ = r.Remove(ctx, id)
	}
}
