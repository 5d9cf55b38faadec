package docker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Create creates a container from spec (see dockerConfig for the mapping).
func (r *Runtime) Create(ctx context.Context, spec runtime.ContainerSpec) (string, error) {
	cc, err := dockerConfig(spec)
	if err != nil {
		return "", err
	}
	res, err := r.client.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:             spec.Name,
		Config:           cc.Config,
		HostConfig:       cc.Host,
		NetworkingConfig: cc.Networking,
	})
	if err != nil {
		switch {
		case cerrdefs.IsNotFound(err):
			// The only thing create can fail to find is the image (or a
			// named network, which Docker also reports as not found).
			if strings.Contains(strings.ToLower(err.Error()), "network") {
				return "", fmt.Errorf("create container %q: %w", spec.Name, err)
			}
			return "", fmt.Errorf("create container %q: %w: %w", spec.Name, runtime.ErrImageNotFound, err)
		case cerrdefs.IsConflict(err):
			return "", fmt.Errorf("create container %q: %w: %w", spec.Name, runtime.ErrConflict, err)
		}
		return "", fmt.Errorf("create container %q: %w", spec.Name, ctxErr(ctx, err))
	}
	for _, w := range res.Warnings {
		r.log.Warn("container create warning", "container", spec.Name, "id", res.ID, "warning", w)
	}
	return res.ID, nil
}

// Start starts a created container.
func (r *Runtime) Start(ctx context.Context, id string) error {
	_, err := r.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	return containerErr("start", id, ctxErr(ctx, err))
}

// Stop stops a container: its stop signal, then SIGKILL after timeout
// (rounded up to whole seconds, the engine's resolution).
func (r *Runtime) Stop(ctx context.Context, id string, timeout time.Duration) error {
	secs := ceilSeconds(timeout)
	_, err := r.client.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &secs})
	return containerErr("stop", id, ctxErr(ctx, err))
}

// Remove force-removes a container and its anonymous volumes.
func (r *Runtime) Remove(ctx context.Context, id string) error {
	_, err := r.client.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	return containerErr("remove", id, ctxErr(ctx, err))
}

// Inspect returns a container's observed state.
func (r *Runtime) Inspect(ctx context.Context, id string) (runtime.ContainerState, error) {
	res, err := r.client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return runtime.ContainerState{}, containerErr("inspect", id, ctxErr(ctx, err))
	}
	return containerState(res.Container), nil
}

// List returns the full state of every container carrying all labels. It
// inspects each listed container, so that exit codes and timestamps are as
// precise as Inspect's; containers removed in between are left out.
func (r *Runtime) List(ctx context.Context, labels map[string]string) ([]runtime.ContainerState, error) {
	f := client.Filters{}
	for k, v := range labels {
		f.Add("label", k+"="+v)
	}
	res, err := r.client.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", ctxErr(ctx, err))
	}
	out := make([]runtime.ContainerState, 0, len(res.Items))
	for _, c := range res.Items {
		st, err := r.Inspect(ctx, c.ID)
		if errors.Is(err, runtime.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// containerState maps Docker's inspect result onto runtime.ContainerState.
func containerState(c container.InspectResponse) runtime.ContainerState {
	st := runtime.ContainerState{
		ID:   c.ID,
		Name: strings.TrimPrefix(c.Name, "/"),
	}
	if c.Config != nil {
		st.Image = c.Config.Image
		st.Labels = c.Config.Labels
	}
	if s := c.State; s != nil {
		st.Status = string(s.Status)
		st.Running = s.Running
		st.OOMKilled = s.OOMKilled
		st.Error = s.Error
		st.StartedAt = parseDockerTime(s.StartedAt)
		st.FinishedAt = parseDockerTime(s.FinishedAt)
		if s.Status == container.StateExited || s.Status == container.StateDead {
			code := s.ExitCode
			st.ExitCode = &code
		}
		if s.Health != nil && s.Health.Status != container.NoHealthcheck {
			st.Health = string(s.Health.Status)
		}
	}
	if ns := c.NetworkSettings; ns != nil {
		for port, bindings := range ns.Ports {
			for _, b := range bindings {
				hp, err := strconv.ParseUint(b.HostPort, 10, 16)
				if err != nil {
					continue
				}
				ip := ""
				if b.HostIP.IsValid() {
					ip = b.HostIP.String()
				}
				st.Ports = append(st.Ports, runtime.PortMapping{
					ContainerPort: port.Num(),
					HostPort:      uint16(hp),
					Protocol:      runtime.Protocol(port.Proto()),
					HostIP:        ip,
				})
			}
		}
		slices.SortFunc(st.Ports, comparePorts)
		if len(ns.Networks) > 0 {
			st.Networks = make(map[string]string, len(ns.Networks))
			for name, ep := range ns.Networks {
				ip := ""
				if ep != nil && ep.IPAddress.IsValid() {
					ip = ep.IPAddress.String()
				}
				st.Networks[name] = ip
			}
		}
	}
	return st
}

func comparePorts(a, b runtime.PortMapping) int {
	if a.ContainerPort != b.ContainerPort {
		return int(a.ContainerPort) - int(b.ContainerPort)
	}
	if a.Protocol != b.Protocol {
		return strings.Compare(string(a.Protocol), string(b.Protocol))
	}
	return strings.Compare(a.HostIP, b.HostIP)
}

// parseDockerTime parses Docker's RFC 3339 timestamps; its "never" value
// (0001-01-01T00:00:00Z) and garbage both become the zero time.
func parseDockerTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}
