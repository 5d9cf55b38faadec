package scheduler

import "time"

// Instance statuses that matter to placement; only ACTIVE instances accept tasks.
const StatusActive = "ACTIVE"

// PortKey is a host port on an instance. Protocol is "tcp" or "udp"; an empty
// protocol means "tcp".
type PortKey struct {
	Protocol string
	Port     int
}

func (k PortKey) udp() bool { return k.Protocol == "udp" }

// PlacedTask is a task already reserved on an instance, as far as placement
// cares: its task group (for spread, distinctInstance and task:group) and family.
type PlacedTask struct {
	Group                string
	TaskDefinitionFamily string
}

// Instance is a container instance as placement sees it: a read-only view.
type Instance struct {
	ARN string
	ID  string // container instance id, the last ARN segment

	EC2InstanceID     string    // CQL subject ec2InstanceId
	Status            string    // only "ACTIVE" accepts tasks
	AgentDisconnected bool      // agentConnected=false; such instances fail with AGENT
	AgentVersion      string    // CQL subject agentVersion, e.g. "1.14.5"
	RegisteredAt      time.Time // CQL subject registeredAt

	// Attributes holds ecs.* and custom attributes; valueless capability
	// attributes map to "".
	Attributes map[string]string

	RemainingCPU    int64 // CPU units
	RemainingMemory int64 // MiB
	UsedPorts       map[PortKey]bool
	Tasks           []PlacedTask
}

// Attribute is a required attribute (a task definition's requiresAttributes).
// An empty Value only requires the name to be present.
type Attribute struct {
	Name, Value string
}

// Strategy is an ECS placementStrategy entry.
type Strategy struct {
	Type  string // random | spread | binpack
	Field string // spread: instanceId | host | attribute:<name>; binpack: cpu | memory
}

// Constraint is an ECS placementConstraints entry.
type Constraint struct {
	Type       string // distinctInstance | memberOf
	Expression string // cluster query language, memberOf only
}

// TaskRequest is one task (definition + overrides) to place, count times.
type TaskRequest struct {
	Group  string // task group; "family:<Family>" when empty
	Family string

	CPU, Memory        int64     // reservation: CPU units, MiB
	Ports              []PortKey // static host ports (dynamic ones excluded)
	RequiresAttributes []Attribute

	Strategy    []Strategy   // ≤5, applied in order as tie-breakers; empty = random
	Constraints []Constraint // ≤10, binding
}

// Decision says which copy of the request (0-based) goes to which instance.
type Decision struct {
	Index       int
	InstanceARN string
}

// Failure is an ECS failures[] entry. Arn is the container instance ARN, or
// empty for MISSING (the caller fills in the cluster ARN if it wants one).
type Failure struct {
	Arn, Reason, Detail string
}

// Failure reasons, as ECS spells them.
const (
	ReasonMissing          = "MISSING"
	ReasonAgent            = "AGENT"
	ReasonCPU              = "RESOURCE:CPU"
	ReasonMemory           = "RESOURCE:MEMORY"
	ReasonPorts            = "RESOURCE:PORTS"
	ReasonPortsUDP         = "RESOURCE:PORTS_UDP"
	ReasonAttribute        = "ATTRIBUTE"
	ReasonDistinctInstance = "DistinctInstance placement constraint unsatisfied."
)

// Plan is the outcome of placing count copies of a request. Placements are in
// copy order; when a copy cannot be placed, Failures lists every ACTIVE
// instance with the first requirement it failed, Explanation says why in the
// words of an ECS service event, and no later copy is attempted.
type Plan struct {
	Placements  []Decision
	Failures    []Failure
	Explanation string
}
