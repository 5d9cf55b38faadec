package taskrun

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

// Container reasons the runner sets itself.
const (
	reasonOOM      = "OutOfMemoryError: Container killed due to memory usage"
	reasonVanished = "CannotInspectContainerError: the container was removed outside of wharf"
)

// observeNews re-inspects every container an event (or the resync timer)
// pointed at and folds what the runtime says into the state. Events are
// only triggers: the state always comes from Inspect, so a missed or
// duplicated event does no harm.
func (r *Runner) observeNews(ctx context.Context) {
	r.mu.Lock()
	ids := make([]string, 0, len(r.news))
	for id := range r.news {
		ids = append(ids, id)
	}
	clear(r.news)
	r.mu.Unlock()
	for _, id := range ids {
		i := r.indexByID(id)
		if i < 0 {
			if id == r.pauseID {
				r.log.Debug("pause container event", "id", short(id))
			}
			continue
		}
		st, err := r.cfg.Runtime.Inspect(ctx, id)
		if err != nil && !errors.Is(err, runtime.ErrNotFound) {
			r.log.Warn("inspect container", "id", short(id), "err", err)
			continue // the resync timer tries again
		}
		r.observe(ctx, i, st, err)
	}
}

func (r *Runner) indexByID(id string) int {
	for i, c := range r.ctrs {
		if c.id == id {
			return i
		}
	}
	return -1
}

// observe folds one Inspect result (or its ErrNotFound) into container i.
// A container only moves forward: PENDING → RUNNING → STOPPED.
func (r *Runner) observe(ctx context.Context, i int, st runtime.ContainerState, inspectErr error) {
	c, cs := r.ctrs[i], &r.st.Containers[i]
	if cs.LastStatus == model.ContainerStopped && cs.ExitCode != nil {
		return
	}
	if errors.Is(inspectErr, runtime.ErrNotFound) {
		if cs.LastStatus != model.ContainerStopped {
			r.log.Warn("container vanished", "container", c.def.Name, "id", short(c.id))
			cs.LastStatus = model.ContainerStopped
			if cs.Reason == "" {
				cs.Reason = reasonVanished
			}
		}
		return
	}
	cs.RuntimeID = st.ID
	switch {
	case st.Running:
		if cs.LastStatus == model.ContainerStopped {
			return // restarted behind the agent's back: it stays STOPPED for ECS
		}
		cs.LastStatus = model.ContainerRunning
		c.startedAt = st.StartedAt
		if c.startedAt.IsZero() {
			c.startedAt = r.cfg.Now()
		}
		cs.HealthStatus = containerHealth(c.def.HealthCheck != nil, st.Health)
		cs.NetworkBindings = r.networkBindings(c.def, st)
		r.startCapture(ctx, i)
	case st.ExitCode != nil && !st.StartedAt.IsZero():
		c.startedAt = st.StartedAt
		cs.LastStatus = model.ContainerStopped
		code := int32(*st.ExitCode)
		cs.ExitCode = &code
		if cs.Reason == "" {
			cs.Reason = exitReason(st, c.stopSent)
		}
		if c.def.HealthCheck != nil && st.Health != "" {
			cs.HealthStatus = containerHealth(true, st.Health)
		}
		r.startCapture(ctx, i) // a container may exit before the runner saw it run
		r.log.Info("container exited", "container", c.def.Name, "exit_code", code, "reason", cs.Reason)
	}
}

// exitReason explains an exit the agent did not ask for: an OOM kill, a
// kill by a signal (docker kill, exit code 128+n), or a runtime error.
// Exits with an ordinary exit code have no reason, as on ECS.
func exitReason(st runtime.ContainerState, stopSent bool) string {
	code := *st.ExitCode
	switch {
	case st.OOMKilled:
		return reasonOOM
	case st.Error != "":
		return truncate(st.Error)
	case !stopSent && code > 128 && code <= 128+64:
		return fmt.Sprintf("Container exited unexpectedly: killed by %s (exit code %d)", signalName(code-128), code)
	}
	return ""
}

func signalName(n int) string {
	names := map[int]string{1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM"}
	if s, ok := names[n]; ok {
		return s
	}
	return fmt.Sprintf("signal %d", n)
}

// networkBindings reports a running container's published ports: the
// runtime's actual (dynamic) host ports in bridge mode, once per container
// port and protocol with bindIP 0.0.0.0; the port mappings themselves in
// host mode; nothing in awsvpc and none modes.
func (r *Runner) networkBindings(def model.ContainerDefinition, st runtime.ContainerState) []model.NetworkBinding {
	var out []model.NetworkBinding
	switch r.cfg.TaskDef.NetworkMode {
	case model.NetworkHost:
		for _, pm := range def.PortMappings {
			if pm.ContainerPort == nil {
				continue
			}
			proto := pm.Protocol
			if proto == "" {
				proto = "tcp"
			}
			out = append(out, model.NetworkBinding{BindIP: "0.0.0.0", ContainerPort: *pm.ContainerPort, HostPort: *pm.ContainerPort, Protocol: proto})
		}
	case model.NetworkAwsvpc, model.NetworkNone:
	default:
		seen := map[string]bool{}
		for _, p := range st.Ports {
			key := fmt.Sprint(p.ContainerPort, p.Protocol)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, model.NetworkBinding{BindIP: "0.0.0.0", ContainerPort: int32(p.ContainerPort), HostPort: int32(p.HostPort), Protocol: string(p.Protocol)})
		}
	}
	return out
}

// startCapture ships an awslogs container's output once per runner. The
// stream is <prefix>/<container>/<task id>, or the runtime ID without a
// prefix (ecs.md 2.4). An adopted container is captured from a few seconds
// before now (adoptedCaptureOverlap).
func (r *Runner) startCapture(ctx context.Context, i int) {
	c := r.ctrs[i]
	lc := c.def.LogConfiguration
	if r.cfg.Logs == nil || c.capturing || lc == nil || lc.LogDriver != "awslogs" {
		return
	}
	if r.adopting && r.st.Containers[i].LastStatus == model.ContainerStopped {
		return // its output was shipped by the agent that ran it
	}
	c.capturing = true
	group := lc.Options["awslogs-group"]
	stream := c.id
	if p := lc.Options["awslogs-stream-prefix"]; p != "" {
		stream = p + "/" + c.def.Name + "/" + taskID(r.cfg.Task)
	}
	since := c.startedAt
	if r.adopting {
		if s := r.cfg.Now().Add(-adoptedCaptureOverlap); s.After(since) {
			since = s
		}
	}
	id := c.id
	r.captures.Add(1)
	go func() {
		defer r.captures.Done()
		r.cfg.Logs.Capture(ctx, id, group, stream, since)
	}()
}

// setOnce sets *t to now unless it is already set.
func setOnce(t *time.Time, now time.Time) {
	if t.IsZero() {
		*t = now
	}
}

// truncate keeps a reason within ECS's 1024 characters.
func truncate(s string) string {
	if len(s) > 1024 {
		return s[:1021] + "..."
	}
	return s
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
