package model

import "time"

// Task statuses in the order a task moves through them. A task's status
// only moves forward; it may jump to STOPPED from any earlier status.
//
//	PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED
//	     └──────────────┴──────────┴─────────┴─────────────┴────────────┴─────────────┴──────────▶ STOPPED
type TaskStatus int

// Task statuses; the zero value is "not yet observed" and reads as PROVISIONING.
const (
	TaskProvisioning TaskStatus = iota + 1
	TaskPending
	TaskActivating
	TaskRunning
	TaskDeactivating
	TaskStopping
	TaskDeprovisioning
	TaskStopped
)

var taskStatusNames = [...]string{"", "PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"}

// String returns the ECS name of the status.
func (s TaskStatus) String() string {
	if s <= 0 || int(s) >= len(taskStatusNames) {
		return "PROVISIONING"
	}
	return taskStatusNames[s]
}

// ParseTaskStatus parses an ECS task status name.
func ParseTaskStatus(name string) (TaskStatus, bool) {
	for i, n := range taskStatusNames {
		if i > 0 && n == name {
			return TaskStatus(i), true
		}
	}
	return 0, false
}

// Container statuses as ECS reports them.
type ContainerStatus int

// Container statuses, ordered.
const (
	ContainerPending ContainerStatus = iota + 1
	ContainerRunning
	ContainerStopped
)

// String returns the ECS name of the container status.
func (s ContainerStatus) String() string {
	switch s {
	case ContainerRunning:
		return "RUNNING"
	case ContainerStopped:
		return "STOPPED"
	default:
		return "PENDING"
	}
}

// Desired statuses.
const (
	DesiredRunning = "RUNNING"
	DesiredStopped = "STOPPED"
)

// Stop codes.
const (
	StopTaskFailedToStart         = "TaskFailedToStart"
	StopEssentialContainerExited  = "EssentialContainerExited"
	StopUserInitiated             = "UserInitiated"
	StopServiceSchedulerInitiated = "ServiceSchedulerInitiated"
	StopSpotInterruption          = "SpotInterruption"
	StopTerminationNotice         = "TerminationNotice"
)

// Health statuses of tasks and containers.
const (
	HealthUnknown   = "UNKNOWN"
	HealthHealthy   = "HEALTHY"
	HealthUnhealthy = "UNHEALTHY"
)

// Task is what a task should be: written by the API (RunTask, StartTask,
// StopTask) and the scheduler (placement). What a task is, as observed on
// its instance, is its TaskState, written only by the agent.
type Task struct {
	ARN         string `json:"arn"`
	ID          string `json:"id"`
	ClusterARN  string `json:"clusterArn"`
	ClusterName string `json:"clusterName"`

	TaskDefinitionARN string `json:"taskDefinitionArn"`
	Family            string `json:"family"`
	Revision          int32  `json:"revision"`

	// Placement.
	ContainerInstanceARN string `json:"containerInstanceArn,omitempty"`
	InstanceID           string `json:"instanceId,omitempty"`
	LaunchType           string `json:"launchType,omitempty"`
	CapacityProviderName string `json:"capacityProviderName,omitempty"`
	AvailabilityZone     string `json:"availabilityZone,omitempty"`

	// Resources reserved on the instance until the task is STOPPED.
	Reservation Reservation `json:"reservation"`

	Group string `json:"group"`
	// ServiceName is set for tasks a service started (their group is
	// "service:<name>" and startedBy the deployment id).
	ServiceName string        `json:"serviceName,omitempty"`
	StartedBy   string        `json:"startedBy,omitempty"`
	Overrides   TaskOverrides `json:"overrides"`
	CPU         string        `json:"cpu,omitempty"`
	Memory      string        `json:"memory,omitempty"`

	DesiredStatus string `json:"desiredStatus"`
	// StopCode and StoppedReason are set with DesiredStatus STOPPED by
	// whoever asked for the stop (StopTask, the service scheduler).
	StopCode      string    `json:"stopCode,omitempty"`
	StoppedReason string    `json:"stoppedReason,omitempty"`
	StopRequested time.Time `json:"stopRequestedAt,omitzero"`
	// DrainStartedAt is set when the service scheduler decided to stop a
	// task behind a load balancer: its targets are deregistered and drain
	// first (the task is DEACTIVATING); DesiredStatus becomes STOPPED once
	// they are drained or the deregistration delay passed.
	DrainStartedAt time.Time `json:"drainStartedAt,omitzero"`

	Tags                 []Tag       `json:"tags,omitempty"`
	EnableExecuteCommand bool        `json:"enableExecuteCommand,omitempty"`
	NetworkConfiguration Passthrough `json:"networkConfiguration,omitempty"`
	ClientToken          string      `json:"clientToken,omitempty"`
	CreatedAt            time.Time   `json:"createdAt"`
}

// Reservation is what a task holds on its container instance.
type Reservation struct {
	CPU      int64 `json:"cpu"`    // CPU units
	Memory   int64 `json:"memory"` // MiB
	TCPPorts []int `json:"tcpPorts,omitempty"`
	UDPPorts []int `json:"udpPorts,omitempty"`
}

// TaskOverrides are RunTask/StartTask overrides.
type TaskOverrides struct {
	ContainerOverrides []ContainerOverride `json:"containerOverrides,omitempty"`
	CPU                string              `json:"cpu,omitempty"`
	Memory             string              `json:"memory,omitempty"`
	TaskRoleARN        string              `json:"taskRoleArn,omitempty"`
	ExecutionRoleARN   string              `json:"executionRoleArn,omitempty"`
}

// ContainerOverride overrides parts of one container definition.
type ContainerOverride struct {
	Name              string     `json:"name"`
	Command           []string   `json:"command,omitempty"`
	Environment       []KeyValue `json:"environment,omitempty"`
	CPU               *int32     `json:"cpu,omitempty"`
	Memory            *int32     `json:"memory,omitempty"`
	MemoryReservation *int32     `json:"memoryReservation,omitempty"`
}

// TaskState is a task as observed on its container instance, reported by
// the agent that runs it (the only writer).
type TaskState struct {
	TaskARN    string     `json:"taskArn"`
	LastStatus TaskStatus `json:"lastStatus"`
	// Health aggregated from the essential containers.
	HealthStatus string `json:"healthStatus,omitempty"`
	// StopCode and StoppedReason are set when the agent stopped the task on
	// its own (an essential container exited, the task failed to start).
	StopCode      string `json:"stopCode,omitempty"`
	StoppedReason string `json:"stoppedReason,omitempty"`

	Containers []ContainerState `json:"containers,omitempty"`
	// PrivateIPv4 is the task's own address in awsvpc network mode.
	PrivateIPv4 string `json:"privateIPv4Address,omitempty"`
	MACAddress  string `json:"macAddress,omitempty"`

	PullStartedAt      time.Time `json:"pullStartedAt,omitzero"`
	PullStoppedAt      time.Time `json:"pullStoppedAt,omitzero"`
	StartedAt          time.Time `json:"startedAt,omitzero"`
	ConnectivityAt     time.Time `json:"connectivityAt,omitzero"`
	StoppingAt         time.Time `json:"stoppingAt,omitzero"`
	ExecutionStoppedAt time.Time `json:"executionStoppedAt,omitzero"`
	StoppedAt          time.Time `json:"stoppedAt,omitzero"`

	// Version increases with every change the agent reports.
	Version int64 `json:"version"`
}

// ContainerState is one container of a task as observed.
type ContainerState struct {
	Name            string           `json:"name"`
	RuntimeID       string           `json:"runtimeId,omitempty"`
	Image           string           `json:"image,omitempty"`
	ImageDigest     string           `json:"imageDigest,omitempty"`
	LastStatus      ContainerStatus  `json:"lastStatus"`
	ExitCode        *int32           `json:"exitCode,omitempty"`
	Reason          string           `json:"reason,omitempty"`
	HealthStatus    string           `json:"healthStatus,omitempty"`
	NetworkBindings []NetworkBinding `json:"networkBindings,omitempty"`
}

// NetworkBinding is a published port of a running container.
type NetworkBinding struct {
	BindIP        string `json:"bindIP"`
	ContainerPort int32  `json:"containerPort"`
	HostPort      int32  `json:"hostPort"`
	Protocol      string `json:"protocol"`
}

// TaskGroup returns the default task group of a family ("family:<name>").
func TaskGroup(family string) string { return "family:" + family }
