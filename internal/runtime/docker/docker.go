package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Options configure New.
type Options struct {
	// Host overrides DOCKER_HOST, e.g. "unix:///var/run/docker.sock".
	Host string
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// RegistryAuth, if set, gives Pull credentials per registry host (see
	// SetRegistryAuth).
	RegistryAuth RegistryAuth
}

// Runtime is a runtime.Runtime backed by a Docker engine.
type Runtime struct {
	client *client.Client
	host   string
	log    *slog.Logger
	authMu sync.RWMutex
	auth   RegistryAuth
	pulls  pullGroup
}

var _ runtime.Runtime = (*Runtime)(nil)

// New connects to the Docker engine named by opts.Host or, like the docker
// CLI, by DOCKER_HOST, and checks that it answers.
func New(opts Options) (*Runtime, error) {
	clientOpts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if opts.Host != "" {
		clientOpts = append(clientOpts, client.WithHost(opts.Host))
	}
	c, err := client.New(clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Runtime{client: c, host: c.DaemonHost(), log: log.With("component", "runtime/docker"), auth: opts.RegistryAuth}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ping, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("cannot reach the Docker engine at %s: is dockerd running? (%w)", r.host, err)
	}
	r.log.Debug("connected to Docker engine", "host", r.host, "api_version", c.ClientVersion(), "os", ping.OSType)
	return r, nil
}

// Close releases the client's connections.
func (r *Runtime) Close() error { return r.client.Close() }

// Host is the engine address in use, e.g. "unix:///var/run/docker.sock".
func (r *Runtime) Host() string { return r.host }

// containerErr maps Docker errors about a container onto runtime sentinels.
func containerErr(op, id string, err error) error {
	switch {
	case err == nil:
		return nil
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%s container %s: %w: %w", op, id, runtime.ErrNotFound, err)
	case cerrdefs.IsConflict(err):
		return fmt.Errorf("%s container %s: %w: %w", op, id, runtime.ErrConflict, err)
	}
	return fmt.Errorf("%s container %s: %w", op, id, err)
}

// ctxErr prefers the context's error when it ended the call, so that
// cancellation is never mistaken for a Docker failure.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}

func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
