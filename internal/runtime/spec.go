package runtime

import "time"

// ContainerSpec is everything needed to create one container, in
// runtime-neutral terms. The agent fills it from an ECS container definition
// (plus task-level settings such as NanoCPUs and the network mode).
// Zero values mean "runtime default".
type ContainerSpec struct {
	Name       string   // container name; empty lets the runtime choose
	Image      string   // image reference, e.g. "nginx:1.27" or "repo@sha256:…"
	Entrypoint []string // overrides the image's ENTRYPOINT when not nil
	Cmd        []string // overrides the image's CMD when not nil
	Env        []string // "KEY=value"
	WorkingDir string
	User       string // "uid", "uid:gid" or a name
	Hostname   string
	Labels     map[string]string // LabelManaged=true is always added

	CPUShares              int64 // relative CPU weight (ECS "cpu" of a container)
	NanoCPUs               int64 // hard CPU limit in 1e-9 CPUs (ECS task-level "cpu")
	MemoryBytes            int64 // hard memory limit (ECS "memory")
	MemoryReservationBytes int64 // soft memory limit (ECS "memoryReservation")
	Ulimits                []Ulimit

	Init           bool              // run an init process as PID 1 (ECS linuxParameters.initProcessEnabled)
	CapAdd         []string          // e.g. "NET_ADMIN"
	CapDrop        []string          // e.g. "ALL"
	Tmpfs          map[string]string // container path → mount options ("size=64m,rw")
	ShmSizeBytes   int64             // size of /dev/shm
	ReadonlyRootfs bool
	Privileged     bool

	ExtraHosts []string // "hostname:ip"
	DNS        []string // DNS server IP addresses
	DNSSearch  []string // DNS search domains

	Mounts      []Mount
	VolumesFrom []string // "container" or "container:ro"
	Links       []string // "container:alias" (bridge network only)

	// NetworkMode is "bridge", "host", "none", "container:<id>" or the name
	// of a user-defined network (awsvpc). Empty means the runtime default
	// (bridge).
	NetworkMode string
	// NetworkAliases are extra DNS names of the container on the
	// user-defined network NetworkMode; not allowed with the other modes.
	NetworkAliases []string
	PortBindings   []PortBinding

	Healthcheck *Healthcheck
	StopSignal  string        // e.g. "SIGTERM" (default), "SIGQUIT"
	StopTimeout time.Duration // the container's own default stop grace period; 0 = runtime default
}

// Ulimit is one resource limit, e.g. {Name: "nofile", Soft: 1024, Hard: 4096}.
type Ulimit struct {
	Name string
	Soft int64
	Hard int64
}

// MountType says what a Mount's Source is.
type MountType string

const (
	MountBind   MountType = "bind"   // Source is a host path
	MountVolume MountType = "volume" // Source is a named volume (created on demand)
)

// Mount makes Source available at Target inside the container.
type Mount struct {
	Type     MountType
	Source   string
	Target   string
	ReadOnly bool
}

// Protocol is a transport protocol of a port binding.
type Protocol string

const (
	TCP Protocol = "tcp"
	UDP Protocol = "udp"
)

// PortBinding publishes ContainerPort on the host.
type PortBinding struct {
	ContainerPort uint16
	HostPort      uint16   // 0 = a dynamic port chosen by the runtime
	Protocol      Protocol // "" = TCP
	HostIP        string   // "" = all interfaces
}

// Healthcheck is a container health check in ECS/Docker terms.
type Healthcheck struct {
	// Test is ["CMD", arg...], ["CMD-SHELL", "command"] or ["NONE"].
	Test        []string
	Interval    time.Duration
	Timeout     time.Duration
	Retries     int
	StartPeriod time.Duration
}
