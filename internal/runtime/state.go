package runtime

import (
	"net/netip"
	"time"
)

// Container statuses as reported by ContainerState.Status.
const (
	StatusCreated    = "created"
	StatusRunning    = "running"
	StatusPaused     = "paused"
	StatusRestarting = "restarting"
	StatusRemoving   = "removing"
	StatusExited     = "exited"
	StatusDead       = "dead"
)

// Health statuses as reported by ContainerState.Health and Event.Health.
// A container without a health check has Health "".
const (
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// ContainerState is what the runtime observed about one container.
type ContainerState struct {
	ID     string
	Name   string // without Docker's leading "/"
	Image  string // the image reference the container was created from
	Labels map[string]string

	Status     string // one of the Status* constants
	Running    bool
	ExitCode   *int // set once the container has exited (Status exited or dead)
	OOMKilled  bool
	Error      string // why the runtime failed to start or run it, if it did
	StartedAt  time.Time
	FinishedAt time.Time
	Health     string // "" (no health check) or one of the Health* constants

	Ports    []PortMapping     // actual bindings, dynamic host ports resolved
	Networks map[string]string // network name → IPv4 address ("" when unassigned)
}

// PortMapping is one published port as actually bound.
type PortMapping struct {
	ContainerPort uint16
	HostPort      uint16
	Protocol      Protocol
	HostIP        string // "0.0.0.0" or "::" for all interfaces
}

// EventType is the kind of a container lifecycle event.
type EventType string

const (
	EventStart        EventType = "start"
	EventDie          EventType = "die" // the main process exited; ExitCode set
	EventOOM          EventType = "oom"
	EventHealthStatus EventType = "health_status" // Health set
	EventDestroy      EventType = "destroy"       // the container was removed
)

// Event is one container lifecycle event.
type Event struct {
	Type        EventType
	ContainerID string
	Name        string
	// Labels of the container (Docker reports them with every event).
	Labels   map[string]string
	ExitCode *int   // for EventDie
	Health   string // for EventHealthStatus
	Time     time.Time
}

// LogStream names the output stream a log line came from.
type LogStream string

const (
	Stdout LogStream = "stdout"
	Stderr LogStream = "stderr"
)

// LogOptions select which part of a container's output Logs returns.
type LogOptions struct {
	// Follow keeps the stream open for new output until the container
	// stops or ctx is cancelled; otherwise the stream ends after the
	// output produced so far.
	Follow bool
	// Since, when not zero, skips lines written before it.
	Since time.Time
}

// LogLine is one line of container output, without its trailing newline.
//
// The channel returned by Runtime.Logs is closed at the end of the stream.
// If the stream broke for any reason other than its normal end or ctx being
// cancelled, the last value sent before closing has Err set (and nothing else).
type LogLine struct {
	Stream LogStream
	Time   time.Time // when the runtime received the line
	Text   string
	Err    error
}

// Stats is one sample of a container's resource usage. CPU counters are
// cumulative: compute a rate from two samples.
type Stats struct {
	Time             time.Time
	CPUTotalNanos    uint64 // CPU time consumed by the container
	SystemCPUNanos   uint64 // CPU time of the whole host, same clock
	OnlineCPUs       uint32
	MemoryUsageBytes uint64 // excluding the page cache, as `docker stats` shows
	MemoryLimitBytes uint64
}

// NetworkInfo describes a container network.
type NetworkInfo struct {
	ID      string
	Name    string
	Labels  map[string]string
	Subnet  netip.Prefix // zero if the runtime did not report one
	Gateway netip.Addr
}
