package service

import (
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// Snapshot is everything one rollout decision needs, read at one moment.
// It is plain data: Compute never reads the store or the clock.
type Snapshot struct {
	Now         time.Time
	Service     Service
	Deployments []Deployment // oldest first; the last one is the PRIMARY
	// Tasks are the service's tasks that are not yet forgotten, including
	// STOPPED ones (their history drives failure counting and backoff).
	Tasks []Task
	// Instances are the ACTIVE or DRAINING container instances of the
	// cluster that satisfy the service's placement constraints (DAEMON).
	Instances []Instance
}

// Service is the part of a service that rollouts depend on.
type Service struct {
	Name    string
	Desired int32 // REPLICA: desiredCount; DAEMON: ignored (computed from Instances)
	Daemon  bool
	// MinimumHealthyPercent and MaximumPercent with ECS defaults applied
	// (REPLICA 100/200, DAEMON 0/100).
	MinimumHealthyPercent, MaximumPercent int32
	HealthCheckGrace                      time.Duration
	CircuitBreaker, Rollback              bool
	// Draining is set once DeleteService was called: every task stops.
	Draining bool
}

// Deployment is one rollout of the service.
type Deployment struct {
	ID                string // ecs-svc/<digits>
	TaskDefinitionARN string
	CreatedAt         time.Time
	RolloutState      string // IN_PROGRESS, COMPLETED or FAILED (sticky once FAILED)
	// Completed is true once the deployment has reached COMPLETED at least
	// once (rollback targets the newest such deployment).
	Completed bool
	// RolloutStateReason and FailedTasks are the stored values, so that
	// Compute reports a DeploymentChange only when one of them changes.
	RolloutStateReason string
	FailedTasks        int32
}

// Rollout states.
const (
	RolloutInProgress = "IN_PROGRESS"
	RolloutCompleted  = "COMPLETED"
	RolloutFailed     = "FAILED"
)

// Task is a service task as a rollout sees it.
type Task struct {
	ID           string
	DeploymentID string // the task's startedBy
	InstanceID   string
	CreatedAt    time.Time
	// Status is the observed status; DesiredStopped is set once the task
	// was asked to stop (by the controller, StopTask or its agent).
	Status         model.TaskStatus
	DesiredStopped bool
	// StopCode and StoppedReason of a task that stopped or is stopping.
	StopCode, StoppedReason string
	// RunningSince is when the task reached RUNNING (zero if it never did).
	RunningSince time.Time
	// StoppedAt is when it reached STOPPED (zero if it did not).
	StoppedAt time.Time
	// HealthStatus is the task health from its essential containers;
	// HasHealthCheck is whether any essential container has a health check.
	HealthStatus   string
	HasHealthCheck bool
	// OnDrainingInstance is set when the task's instance is DRAINING.
	OnDrainingInstance bool
	// Targets is the task's health in each target group of the service's
	// load balancers (empty without load balancers). A task counts as
	// healthy only once it is healthy in every one of them.
	Targets []TargetHealth
}

// TargetHealth is a task's target in one target group.
type TargetHealth struct {
	TargetGroupARN string
	State          string // initial | healthy | unhealthy | draining | unused ("" = not registered yet)
	Reason         string // the ALB reason code when unhealthy
}

// Instance is a container instance as a DAEMON rollout sees it.
type Instance struct {
	ID       string
	Draining bool
}

// Plan is what one pass decided. The controller applies it: it launches
// and stops tasks, stores deployment changes, creates the rollback
// deployment and records the events.
type Plan struct {
	// Start asks for new tasks of a deployment (on Instance for DAEMON).
	Start []Start
	// Stop asks to stop tasks (desiredStatus STOPPED, stopCode
	// ServiceSchedulerInitiated, the given reason).
	Stop []Stop
	// Deployments are changed deployment records, complete (the controller
	// replaces the stored ones); a deployment with Inactive set is dropped
	// from the service's deployments.
	Deployments []DeploymentChange
	// Rollback, when set, asks for a new PRIMARY deployment with the task
	// definition (and configuration) of deployment To.
	Rollback *Rollback
	// Events are service event messages, oldest first, each starting with
	// "(service NAME)"; the controller suppresses repeats.
	Events []string
	// Steady reports that the service is in steady state.
	Steady bool
	// ServiceInactive is set when a draining service has no live task left.
	ServiceInactive bool
	// WakeAt is the latest time the controller should run the next pass
	// (a task becoming healthy by the 40 s rule, a backoff ending);
	// zero means "on the next change".
	WakeAt time.Time
	// Counts per deployment, to report in DescribeServices.
	Counts map[string]Counts
}

// Start is a request to launch tasks.
type Start struct {
	DeploymentID string
	Count        int
	InstanceID   string // DAEMON: the instance to start on
}

// Stop is a request to stop a task.
type Stop struct {
	TaskID string
	Reason string
}

// DeploymentChange is a deployment's new controller-owned state.
type DeploymentChange struct {
	ID                 string
	RolloutState       string
	RolloutStateReason string
	FailedTasks        int32
	Completed          bool
	Inactive           bool
}

// Rollback asks to roll back to the configuration of deployment To.
type Rollback struct {
	To string
}

// Counts are the task counts ECS reports per deployment.
type Counts struct {
	Desired, Pending, Running, Failed int32
}
