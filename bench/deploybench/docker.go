package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
)

const (
	labelTest    = runtime.LabelTest
	labelDataDir = runtime.LabelDataDir
)

// dockerClient talks to the local engine: image builds, clean-up and the
// event recorder.
type dockerClient struct{ c *client.Client }

func newDocker() (*dockerClient, error) {
	c, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("Docker engine not reachable at %s: %w", c.DaemonHost(), err)
	}
	return &dockerClient{c: c}, nil
}

func (d *dockerClient) close() { _ = d.c.Close() }

// removeLabelled force-removes every container labelled key=value.
func (d *dockerClient) removeLabelled(ctx context.Context, key, value string) error {
	f := client.Filters{}
	f.Add("label", key+"="+value)
	cs, err := d.c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("list containers %s=%s: %w", key, value, err)
	}
	for _, ct := range cs.Items {
		if _, err := d.c.ContainerRemove(ctx, ct.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("remove container %s: %w", ct.ID[:12], err)
		}
	}
	return nil
}

// containerTimes are the first time of each event of one container.
type containerTimes struct {
	create, start, healthy, kill, die, stop time.Time
}

// recorder keeps the lifecycle events of the server's containers.
type recorder struct {
	mu  sync.Mutex
	by  map[string]*containerTimes
	err error
}

// record follows the Docker events of containers labelled with the
// server's data directory until ctx ends.
func (d *dockerClient) record(ctx context.Context, dataDir string) (*recorder, error) {
	f := client.Filters{}
	f.Add("type", string(events.ContainerEventType))
	f.Add("label", labelDataDir+"="+dataDir)
	res := d.c.Events(ctx, client.EventsListOptions{Filters: f})
	r := &recorder{by: map[string]*containerTimes{}}
	go func() {
		for {
			select {
			case msg := <-res.Messages:
				r.add(msg)
			case err := <-res.Err:
				r.mu.Lock()
				if ctx.Err() == nil {
					r.err = err
				}
				r.mu.Unlock()
				return
			}
		}
	}()
	return r, nil
}

func (r *recorder) add(msg events.Message) {
	at := time.Unix(0, msg.TimeNano)
	r.mu.Lock()
	defer r.mu.Unlock()
	ct := r.by[msg.Actor.ID]
	if ct == nil {
		ct = &containerTimes{}
		r.by[msg.Actor.ID] = ct
	}
	set := func(p *time.Time) {
		if p.IsZero() {
			*p = at
		}
	}
	switch {
	case msg.Action == events.ActionCreate:
		set(&ct.create)
	case msg.Action == events.ActionStart:
		set(&ct.start)
	case msg.Action == events.ActionKill:
		set(&ct.kill)
	case msg.Action == events.ActionDie:
		set(&ct.die)
	case msg.Action == events.ActionStop:
		set(&ct.stop) // ContainerStop returns: exit handled, network torn down
	case strings.HasPrefix(string(msg.Action), string(events.ActionHealthStatus)) && strings.HasSuffix(string(msg.Action), "healthy") &&
		!strings.HasSuffix(string(msg.Action), "unhealthy"):
		set(&ct.healthy)
	}
}

// times returns a copy of a container's event times.
func (r *recorder) times(id string) (containerTimes, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return containerTimes{}, fmt.Errorf("docker events: %w", r.err)
	}
	ct := r.by[id]
	if ct == nil {
		return containerTimes{}, fmt.Errorf("no Docker events for container %s", id)
	}
	return *ct, nil
}
