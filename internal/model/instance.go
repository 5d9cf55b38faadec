package model

import "time"

// Container instance statuses.
const (
	InstanceActive        = "ACTIVE"
	InstanceDraining      = "DRAINING"
	InstanceDeregistering = "DEREGISTERING"
	InstanceInactive      = "INACTIVE"
)

// Resource is one registered or remaining resource of a container instance
// in ECS's shape: CPU and MEMORY are integers, PORTS and PORTS_UDP string sets.
type Resource struct {
	Name           string   `json:"name"`
	Type           string   `json:"type"` // INTEGER, STRINGSET, LONG, DOUBLE
	IntegerValue   int32    `json:"integerValue,omitempty"`
	LongValue      int64    `json:"longValue,omitempty"`
	DoubleValue    float64  `json:"doubleValue,omitempty"`
	StringSetValue []string `json:"stringSetValue,omitempty"`
}

// VersionInfo describes the agent and Docker versions of an instance.
type VersionInfo struct {
	AgentVersion  string `json:"agentVersion,omitempty"`
	AgentHash     string `json:"agentHash,omitempty"`
	DockerVersion string `json:"dockerVersion,omitempty"`
}

// ContainerInstance is a host that runs tasks for one cluster.
//
// RegisteredResources is what the agent reported at registration; remaining
// resources are derived from it and the tasks placed on the instance.
type ContainerInstance struct {
	ARN                  string      `json:"arn"`
	ID                   string      `json:"id"`
	ClusterARN           string      `json:"clusterArn"`
	EC2InstanceID        string      `json:"ec2InstanceId,omitempty"`
	Status               string      `json:"status"`
	StatusReason         string      `json:"statusReason,omitempty"`
	AgentConnected       bool        `json:"agentConnected"`
	Version              int64       `json:"version"`
	VersionInfo          VersionInfo `json:"versionInfo"`
	RegisteredResources  []Resource  `json:"registeredResources,omitempty"`
	Attributes           []Attribute `json:"attributes,omitempty"`
	Tags                 []Tag       `json:"tags,omitempty"`
	RegisteredAt         time.Time   `json:"registeredAt"`
	CapacityProviderName string      `json:"capacityProviderName,omitempty"`
	LastHeartbeat        time.Time   `json:"lastHeartbeat,omitzero"`
}

// IntegerResource returns the integer value of the named resource.
func (ci *ContainerInstance) IntegerResource(name string) int32 {
	for _, r := range ci.RegisteredResources {
		if r.Name == name {
			return r.IntegerValue
		}
	}
	return 0
}

// Attribute returns the value of the named attribute and whether it exists.
func (ci *ContainerInstance) Attribute(name string) (string, bool) {
	for _, a := range ci.Attributes {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}
