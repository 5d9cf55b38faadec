package model

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// Service statuses. ACTIVE → DRAINING (DeleteService) → INACTIVE (no task
// left); an INACTIVE service's name can be reused.
const (
	ServiceActive   = "ACTIVE"
	ServiceDraining = "DRAINING"
	ServiceInactive = "INACTIVE"
)

// Scheduling strategies.
const (
	SchedulingReplica = "REPLICA"
	SchedulingDaemon  = "DAEMON"
)

// Service is what a user asked for: written by the API only. Its
// deployments are separate records, and what the service controller
// observed and decided lives in ServiceState.
type Service struct {
	ARN         string `json:"arn"`
	Name        string `json:"name"`
	ClusterARN  string `json:"clusterArn"`
	ClusterName string `json:"clusterName"`
	// Status is ACTIVE or DRAINING here; INACTIVE is reported once the
	// controller saw the last task stop (ServiceState.Inactive).
	Status string `json:"status"`

	DesiredCount       int32  `json:"desiredCount"`
	SchedulingStrategy string `json:"schedulingStrategy"`
	LaunchType         string `json:"launchType,omitempty"`
	// CapacityProviderStrategy is stored and echoed.
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion          string                         `json:"platformVersion,omitempty"`

	DeploymentConfiguration DeploymentConfiguration `json:"deploymentConfiguration"`
	DeploymentController    string                  `json:"deploymentController,omitempty"`

	PlacementConstraints []PlacementConstraint `json:"placementConstraints,omitempty"`
	PlacementStrategy    []PlacementStrategy   `json:"placementStrategy,omitempty"`
	LoadBalancers        []ServiceLoadBalancer `json:"loadBalancers,omitempty"`
	NetworkConfiguration Passthrough           `json:"networkConfiguration,omitempty"`
	ServiceRegistries    Passthrough           `json:"serviceRegistries,omitempty"`

	HealthCheckGracePeriodSeconds int32  `json:"healthCheckGracePeriodSeconds"`
	EnableExecuteCommand          bool   `json:"enableExecuteCommand,omitempty"`
	EnableECSManagedTags          bool   `json:"enableECSManagedTags,omitempty"`
	PropagateTags                 string `json:"propagateTags,omitempty"`
	AvailabilityZoneRebalancing   string `json:"availabilityZoneRebalancing,omitempty"`
	Tags                          []Tag  `json:"tags,omitempty"`

	ClientToken string    `json:"clientToken,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	CreatedBy   string    `json:"createdBy,omitempty"`
	// DeletedAt is set by DeleteService.
	DeletedAt time.Time `json:"deletedAt,omitzero"`
	// StoppedDeployments records StopServiceDeployment requests:
	// deployment id → ABORT or ROLLBACK.
	StoppedDeployments map[string]string `json:"stoppedDeployments,omitempty"`
}

// DeploymentConfiguration controls rolling deployments.
type DeploymentConfiguration struct {
	MaximumPercent        int32 `json:"maximumPercent"`
	MinimumHealthyPercent int32 `json:"minimumHealthyPercent"`
	CircuitBreaker        bool  `json:"circuitBreaker"`
	Rollback              bool  `json:"rollback"`
	// Alarms are stored and echoed; CloudWatch alarms do not exist locally.
	Alarms Passthrough `json:"alarms,omitempty"`
}

// PlacementStrategy is a task placement strategy.
type PlacementStrategy struct {
	Type  string `json:"type"`
	Field string `json:"field,omitempty"`
}

// ServiceLoadBalancer attaches a service's container port to a target group.
type ServiceLoadBalancer struct {
	TargetGroupARN   string `json:"targetGroupArn,omitempty"`
	LoadBalancerName string `json:"loadBalancerName,omitempty"`
	ContainerName    string `json:"containerName,omitempty"`
	ContainerPort    int32  `json:"containerPort,omitempty"`
}

// Deployment is one rollout of a service: the configuration its tasks are
// started with. It is immutable once created (by CreateService,
// UpdateService or a circuit-breaker rollback); its progress is in
// ServiceState.
type Deployment struct {
	ID                   string                `json:"id"` // ecs-svc/<digits>
	Seq                  int64                 `json:"seq"`
	ServiceName          string                `json:"serviceName"`
	TaskDefinitionARN    string                `json:"taskDefinitionArn"`
	LaunchType           string                `json:"launchType,omitempty"`
	PlatformVersion      string                `json:"platformVersion,omitempty"`
	NetworkConfiguration Passthrough           `json:"networkConfiguration,omitempty"`
	LoadBalancers        []ServiceLoadBalancer `json:"loadBalancers,omitempty"`
	CreatedAt            time.Time             `json:"createdAt"`
	// RollbackOf names the failed deployment this one rolls back.
	RollbackOf string `json:"rollbackOf,omitempty"`
}

// ServiceState is what the service controller observed and decided: the
// only writer is the controller.
type ServiceState struct {
	Deployments map[string]DeploymentState `json:"deployments"`
	Events      []ServiceEvent             `json:"events,omitempty"` // newest first, at most 100
	Steady      bool                       `json:"steady"`
	Inactive    bool                       `json:"inactive,omitempty"`
	InactiveAt  time.Time                  `json:"inactiveAt,omitzero"`
}

// DeploymentState is the progress of one deployment.
type DeploymentState struct {
	RolloutState       string    `json:"rolloutState"`
	RolloutStateReason string    `json:"rolloutStateReason,omitempty"`
	FailedTasks        int32     `json:"failedTasks"`
	Completed          bool      `json:"completed,omitempty"`
	Inactive           bool      `json:"inactive,omitempty"`
	UpdatedAt          time.Time `json:"updatedAt"`
	DesiredCount       int32     `json:"desiredCount"`
	PendingCount       int32     `json:"pendingCount"`
	RunningCount       int32     `json:"runningCount"`
	FinishedAt         time.Time `json:"finishedAt,omitzero"`
}

// ServiceEvent is one entry of a service's event log.
type ServiceEvent struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	Message   string    `json:"message"`
}

// NewDeploymentID returns an ECS deployment id: "ecs-svc/" and 19 digits.
func NewDeploymentID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	n := binary.BigEndian.Uint64(b[:]) % 9_000_000_000_000_000_000
	return fmt.Sprintf("ecs-svc/%019d", n+1_000_000_000_000_000_000)
}
