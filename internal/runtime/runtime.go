package runtime

import (
	"context"
	"errors"
	"time"
)

// Runtime is what the instance agent needs from a container engine.
//
// Every container created through a Runtime carries LabelManaged=true in
// addition to the labels in its ContainerSpec, so that a restarted agent can
// find its containers again with List.
type Runtime interface {
	// Pull makes image available locally. progress, if not nil, receives
	// human-readable progress lines. An image that cannot be had (unknown
	// repository or tag, registry unreachable, denied) yields an error
	// wrapping ErrImageNotFound.
	Pull(ctx context.Context, image string, progress func(string)) error
	// ImageExists reports whether image is present locally.
	ImageExists(ctx context.Context, image string) (bool, error)

	// Create creates (but does not start) a container and returns its ID.
	// A missing image yields ErrImageNotFound, a name already in use
	// ErrConflict.
	Create(ctx context.Context, spec ContainerSpec) (id string, err error)
	// Start starts a created container.
	Start(ctx context.Context, id string) error
	// Stop sends the container's stop signal (ContainerSpec.StopSignal,
	// SIGTERM by default), waits up to timeout for it to exit, then sends
	// SIGKILL. It returns once the container has exited. Stopping a
	// container that is not running is not an error.
	Stop(ctx context.Context, id string, timeout time.Duration) error
	// Remove removes a container, killing it first if it still runs, and
	// its anonymous volumes.
	Remove(ctx context.Context, id string) error
	// Inspect returns the observed state of one container, or ErrNotFound.
	Inspect(ctx context.Context, id string) (ContainerState, error)
	// List returns every container, running or not, that carries all the
	// given labels (an empty map lists every container).
	List(ctx context.Context, labels map[string]string) ([]ContainerState, error)

	// Events streams lifecycle events (see EventType) of containers that
	// carry LabelManaged=true, from the moment of the call until ctx is
	// cancelled or the stream breaks. On the end of the stream exactly one
	// error (ctx.Err() when cancelled) is sent on the error channel, then
	// both channels are closed.
	Events(ctx context.Context) (<-chan Event, <-chan error)
	// Logs streams a container's output as lines, stdout and stderr kept
	// apart. See LogOptions and LogLine for the stream's end.
	Logs(ctx context.Context, id string, opts LogOptions) (<-chan LogLine, error)
	// Stats returns one sample of a container's resource usage.
	Stats(ctx context.Context, id string) (Stats, error)

	// EnsureNetwork returns the bridge network called name, creating it
	// with the given labels (plus LabelManaged=true) if it does not exist.
	// It is what awsvpc-mode tasks are attached to.
	EnsureNetwork(ctx context.Context, name string, labels map[string]string) (NetworkInfo, error)
}

// Sentinel errors. Implementations wrap them with %w; test with errors.Is.
var (
	// ErrNotFound: no such container.
	ErrNotFound = errors.New("container not found")
	// ErrImageNotFound: the image is not present locally (Create) or
	// cannot be pulled (Pull).
	ErrImageNotFound = errors.New("image not found")
	// ErrConflict: the name is already in use, or the operation conflicts
	// with the container's current state.
	ErrConflict = errors.New("conflict")
)

// Labels wharf sets on containers (and networks). The agent sets all but
// LabelManaged, which every Runtime adds itself.
const (
	LabelManaged       = "wharf.managed"        // "true" on everything wharf creates
	LabelCluster       = "wharf.cluster"        // cluster name
	LabelTaskARN       = "wharf.task-arn"       // ECS task ARN
	LabelContainerName = "wharf.container-name" // container name from the task definition
	LabelDataDir       = "wharf.data-dir"       // data directory of the agent that owns it
	LabelTest          = "wharf.test"           // set by tests, value unique per test, for cleanup
)
