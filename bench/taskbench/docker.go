package main

import (
	"context"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/bench/internal/benchkit"
	"github.com/wharfhq/wharf/internal/runtime"
)

const (
	labelTest      = runtime.LabelTest
	labelDataDir   = runtime.LabelDataDir
	testLabelValue = "taskbench"
)

// dockerRunner starts the test app straight through the Docker API, the
// way `docker run -d -p 8080 -m 64m` does.
type dockerRunner struct {
	c    *client.Client
	poll time.Duration
}

// dockerSample is one docker run, each duration from the create call.
type dockerSample struct {
	create  time.Duration // ContainerCreate returned
	start   time.Duration // ContainerStart returned
	running time.Duration // ContainerInspect saw it running
	http    time.Duration // the app answered on its host port
}

func newDockerRunner(poll time.Duration) (*dockerRunner, error) {
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
	return &dockerRunner{c: c, poll: poll}, nil
}

func (d *dockerRunner) close() { _ = d.c.Close() }

// once runs one container until its app answers, then removes it.
func (d *dockerRunner) once(ctx context.Context, image string) (dockerSample, error) {
	var s dockerSample
	port := network.MustParsePort("8080/tcp")
	mem := int64(64 << 20)
	t0 := time.Now()
	res, err := d.c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:        image,
			Env:          []string{"LISTEN=:8080"},
			Labels:       map[string]string{labelTest: testLabelValue},
			ExposedPorts: network.PortSet{port: {}},
		},
		HostConfig: &container.HostConfig{
			PortBindings: network.PortMap{port: {{}}},
			Resources:    container.Resources{Memory: mem},
		},
	})
	if err != nil {
		return s, fmt.Errorf("create: %w", err)
	}
	id := res.ID
	defer d.remove(context.WithoutCancel(ctx), id)
	s.create = time.Since(t0)
	if _, err := d.c.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return s, fmt.Errorf("start: %w", err)
	}
	s.start = time.Since(t0)
	var hostPort string
	for {
		ins, err := d.c.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			return s, fmt.Errorf("inspect: %w", err)
		}
		if ins.Container.State != nil && ins.Container.State.Running {
			s.running = time.Since(t0)
			if ns := ins.Container.NetworkSettings; ns != nil {
				for _, b := range ns.Ports[port] {
					hostPort = b.HostPort
					break
				}
			}
			break
		}
		if err := benchkit.Sleep(ctx, d.poll); err != nil {
			return s, err
		}
	}
	if hostPort == "" {
		return s, fmt.Errorf("container %s publishes no host port for %s", id[:12], port)
	}
	if err := benchkit.WaitHTTP(ctx, "http://127.0.0.1:"+hostPort+"/", d.poll, 30*time.Second); err != nil {
		return s, err
	}
	s.http = time.Since(t0)
	return s, nil
}

func (d *dockerRunner) remove(ctx context.Context, id string) {
	if _, err := d.c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
		progress("remove container %s: %v", id[:12], err)
	}
}

// removeLabelled force-removes every container labelled key=value.
func (d *dockerRunner) removeLabelled(ctx context.Context, key, value string) error {
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
