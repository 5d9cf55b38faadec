package model

import "time"

// Task definition statuses. A revision only moves forward:
//
//	ACTIVE --Deregister--> INACTIVE --Delete--> DELETE_IN_PROGRESS --(purge)--> gone
const (
	TaskDefActive           = "ACTIVE"
	TaskDefInactive         = "INACTIVE"
	TaskDefDeleteInProgress = "DELETE_IN_PROGRESS"
)

// Network modes.
const (
	NetworkBridge = "bridge"
	NetworkHost   = "host"
	NetworkAwsvpc = "awsvpc"
	NetworkNone   = "none"
)

// TaskDefinition is one immutable revision of a task definition family.
type TaskDefinition struct {
	ARN      string `json:"arn"`
	Family   string `json:"family"`
	Revision int32  `json:"revision"`
	Status   string `json:"status"`

	ContainerDefinitions []ContainerDefinition `json:"containerDefinitions"`
	Volumes              []Volume              `json:"volumes,omitempty"`

	NetworkMode             string                `json:"networkMode"`
	CPU                     string                `json:"cpu,omitempty"`    // normalised to CPU units, e.g. "1024"
	Memory                  string                `json:"memory,omitempty"` // normalised to MiB, e.g. "2048"
	RequiresCompatibilities []string              `json:"requiresCompatibilities,omitempty"`
	Compatibilities         []string              `json:"compatibilities,omitempty"`
	RequiresAttributes      []Attribute           `json:"requiresAttributes,omitempty"`
	PlacementConstraints    []PlacementConstraint `json:"placementConstraints,omitempty"`

	TaskRoleARN      string `json:"taskRoleArn,omitempty"`
	ExecutionRoleARN string `json:"executionRoleArn,omitempty"`
	PidMode          string `json:"pidMode,omitempty"`
	IpcMode          string `json:"ipcMode,omitempty"`

	// Stored and echoed, not acted on locally.
	RuntimePlatform       Passthrough `json:"runtimePlatform,omitempty"`
	EphemeralStorage      Passthrough `json:"ephemeralStorage,omitempty"`
	ProxyConfiguration    Passthrough `json:"proxyConfiguration,omitempty"`
	InferenceAccelerators Passthrough `json:"inferenceAccelerators,omitempty"`
	EnableFaultInjection  *bool       `json:"enableFaultInjection,omitempty"`

	Tags              []Tag     `json:"tags,omitempty"`
	RegisteredAt      time.Time `json:"registeredAt"`
	RegisteredBy      string    `json:"registeredBy,omitempty"`
	DeregisteredAt    time.Time `json:"deregisteredAt,omitzero"`
	DeleteRequestedAt time.Time `json:"deleteRequestedAt,omitzero"`
}

// PlacementConstraint is a task placement constraint.
type PlacementConstraint struct {
	Type       string `json:"type"`
	Expression string `json:"expression,omitempty"`
}

// ContainerDefinition describes one container of a task.
type ContainerDefinition struct {
	Name              string        `json:"name"`
	Image             string        `json:"image"`
	Essential         bool          `json:"essential"`
	CPU               int32         `json:"cpu"`
	Memory            *int32        `json:"memory,omitempty"`
	MemoryReservation *int32        `json:"memoryReservation,omitempty"`
	PortMappings      []PortMapping `json:"portMappings,omitempty"`
	Links             []string      `json:"links,omitempty"`

	EntryPoint       []string          `json:"entryPoint,omitempty"`
	Command          []string          `json:"command,omitempty"`
	Environment      []KeyValue        `json:"environment,omitempty"`
	EnvironmentFiles []EnvironmentFile `json:"environmentFiles,omitempty"`
	Secrets          []Secret          `json:"secrets,omitempty"`
	WorkingDirectory string            `json:"workingDirectory,omitempty"`
	User             string            `json:"user,omitempty"`
	Hostname         string            `json:"hostname,omitempty"`

	MountPoints []MountPoint `json:"mountPoints,omitempty"`
	VolumesFrom []VolumeFrom `json:"volumesFrom,omitempty"`

	DependsOn    []ContainerDependency `json:"dependsOn,omitempty"`
	StartTimeout *int32                `json:"startTimeout,omitempty"`
	StopTimeout  *int32                `json:"stopTimeout,omitempty"`
	HealthCheck  *HealthCheck          `json:"healthCheck,omitempty"`

	LinuxParameters        *LinuxParameters  `json:"linuxParameters,omitempty"`
	Ulimits                []Ulimit          `json:"ulimits,omitempty"`
	Privileged             *bool             `json:"privileged,omitempty"`
	ReadonlyRootFilesystem *bool             `json:"readonlyRootFilesystem,omitempty"`
	DisableNetworking      *bool             `json:"disableNetworking,omitempty"`
	Interactive            *bool             `json:"interactive,omitempty"`
	PseudoTerminal         *bool             `json:"pseudoTerminal,omitempty"`
	DNSServers             []string          `json:"dnsServers,omitempty"`
	DNSSearchDomains       []string          `json:"dnsSearchDomains,omitempty"`
	ExtraHosts             []HostEntry       `json:"extraHosts,omitempty"`
	DockerLabels           map[string]string `json:"dockerLabels,omitempty"`
	DockerSecurityOptions  []string          `json:"dockerSecurityOptions,omitempty"`
	SystemControls         []SystemControl   `json:"systemControls,omitempty"`
	LogConfiguration       *LogConfiguration `json:"logConfiguration,omitempty"`

	// Stored and echoed, not acted on locally.
	RepositoryCredentials Passthrough `json:"repositoryCredentials,omitempty"`
	ResourceRequirements  Passthrough `json:"resourceRequirements,omitempty"`
	FirelensConfiguration Passthrough `json:"firelensConfiguration,omitempty"`
	CredentialSpecs       Passthrough `json:"credentialSpecs,omitempty"`
	RestartPolicy         Passthrough `json:"restartPolicy,omitempty"`
	VersionConsistency    string      `json:"versionConsistency,omitempty"`
}

// PortMapping maps a container port to the host.
type PortMapping struct {
	ContainerPort      *int32 `json:"containerPort,omitempty"`
	HostPort           *int32 `json:"hostPort,omitempty"`
	Protocol           string `json:"protocol,omitempty"` // tcp (default) or udp
	Name               string `json:"name,omitempty"`
	AppProtocol        string `json:"appProtocol,omitempty"`
	ContainerPortRange string `json:"containerPortRange,omitempty"`
}

// EnvironmentFile is a file of environment variables merged into the
// container's environment before `environment`.
type EnvironmentFile struct {
	Value string `json:"value"`
	Type  string `json:"type"`
}

// Secret is an environment variable whose value comes from a secret store.
type Secret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// MountPoint mounts a task volume into a container.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume,omitempty"`
	ContainerPath string `json:"containerPath,omitempty"`
	ReadOnly      *bool  `json:"readOnly,omitempty"`
}

// VolumeFrom mounts all volumes of another container of the task.
type VolumeFrom struct {
	SourceContainer string `json:"sourceContainer,omitempty"`
	ReadOnly        *bool  `json:"readOnly,omitempty"`
}

// Dependency conditions.
const (
	DependsStart    = "START"
	DependsComplete = "COMPLETE"
	DependsSuccess  = "SUCCESS"
	DependsHealthy  = "HEALTHY"
)

// ContainerDependency orders container start-up within a task.
type ContainerDependency struct {
	ContainerName string `json:"containerName"`
	Condition     string `json:"condition"`
}

// HealthCheck is a container health check. Durations are in seconds; the
// zero values have been replaced by ECS defaults on registration.
type HealthCheck struct {
	Command     []string `json:"command"`
	Interval    int32    `json:"interval"`
	Timeout     int32    `json:"timeout"`
	Retries     int32    `json:"retries"`
	StartPeriod int32    `json:"startPeriod,omitempty"`
}

// ECS health check defaults.
const (
	HealthCheckDefaultInterval = 30
	HealthCheckDefaultTimeout  = 5
	HealthCheckDefaultRetries  = 3
)

// LinuxParameters are Linux-specific container options.
type LinuxParameters struct {
	Capabilities       *Capabilities `json:"capabilities,omitempty"`
	Devices            []Device      `json:"devices,omitempty"`
	InitProcessEnabled *bool         `json:"initProcessEnabled,omitempty"`
	SharedMemorySize   *int32        `json:"sharedMemorySize,omitempty"` // MiB
	Tmpfs              []Tmpfs       `json:"tmpfs,omitempty"`
	MaxSwap            *int32        `json:"maxSwap,omitempty"`
	Swappiness         *int32        `json:"swappiness,omitempty"`
}

// Capabilities are Linux capabilities added to or dropped from the default set.
type Capabilities struct {
	Add  []string `json:"add,omitempty"`
	Drop []string `json:"drop,omitempty"`
}

// Device exposes a host device in the container.
type Device struct {
	HostPath      string   `json:"hostPath"`
	ContainerPath string   `json:"containerPath,omitempty"`
	Permissions   []string `json:"permissions,omitempty"`
}

// Tmpfs is a tmpfs mount.
type Tmpfs struct {
	ContainerPath string   `json:"containerPath"`
	Size          int32    `json:"size"` // MiB
	MountOptions  []string `json:"mountOptions,omitempty"`
}

// Ulimit is a resource limit.
type Ulimit struct {
	Name      string `json:"name"`
	SoftLimit int32  `json:"softLimit"`
	HardLimit int32  `json:"hardLimit"`
}

// HostEntry is an /etc/hosts entry.
type HostEntry struct {
	Hostname  string `json:"hostname"`
	IPAddress string `json:"ipAddress"`
}

// SystemControl is a namespaced kernel parameter (sysctl).
type SystemControl struct {
	Namespace string `json:"namespace,omitempty"`
	Value     string `json:"value,omitempty"`
}

// LogConfiguration selects a log driver and its options.
type LogConfiguration struct {
	LogDriver     string            `json:"logDriver"`
	Options       map[string]string `json:"options,omitempty"`
	SecretOptions []Secret          `json:"secretOptions,omitempty"`
}

// Volume is a task-level volume that containers mount.
type Volume struct {
	Name string `json:"name"`
	// Host is set for bind mounts (SourcePath non-empty) and for task-scoped
	// anonymous volumes (Host non-nil, SourcePath empty).
	Host                      *HostVolume                `json:"host,omitempty"`
	DockerVolumeConfiguration *DockerVolumeConfiguration `json:"dockerVolumeConfiguration,omitempty"`
	ConfiguredAtLaunch        *bool                      `json:"configuredAtLaunch,omitempty"`

	// Stored and echoed; EFS and FSx cannot exist locally.
	EFSVolumeConfiguration                  Passthrough `json:"efsVolumeConfiguration,omitempty"`
	FSxWindowsFileServerVolumeConfiguration Passthrough `json:"fsxWindowsFileServerVolumeConfiguration,omitempty"`
	S3FilesVolumeConfiguration              Passthrough `json:"s3filesVolumeConfiguration,omitempty"`
}

// HostVolume is a bind mount from the host, or an anonymous task volume
// when SourcePath is empty.
type HostVolume struct {
	SourcePath string `json:"sourcePath,omitempty"`
}

// DockerVolumeConfiguration is a Docker named volume.
type DockerVolumeConfiguration struct {
	Scope         string            `json:"scope,omitempty"` // task (default) or shared
	Autoprovision *bool             `json:"autoprovision,omitempty"`
	Driver        string            `json:"driver,omitempty"`
	DriverOpts    map[string]string `json:"driverOpts,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
}

// Container returns the container definition with the given name.
func (td *TaskDefinition) Container(name string) (*ContainerDefinition, bool) {
	for i := range td.ContainerDefinitions {
		if td.ContainerDefinitions[i].Name == name {
			return &td.ContainerDefinitions[i], true
		}
	}
	return nil, false
}
