package model

import "time"

// Cluster statuses.
const (
	ClusterActive   = "ACTIVE"
	ClusterInactive = "INACTIVE"
)

// Cluster is a logical group of container instances, tasks and services.
type Cluster struct {
	ARN       string     `json:"arn"`
	Name      string     `json:"name"`
	Status    string     `json:"status"`
	Settings  []KeyValue `json:"settings,omitempty"`
	Tags      []Tag      `json:"tags,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`

	CapacityProviders               []string                       `json:"capacityProviders,omitempty"`
	DefaultCapacityProviderStrategy []CapacityProviderStrategyItem `json:"defaultCapacityProviderStrategy,omitempty"`

	// Configuration (execute-command and managed storage settings) and
	// ServiceConnectDefaults are stored and echoed; wharf does not act on them.
	Configuration          Passthrough `json:"configuration,omitempty"`
	ServiceConnectDefaults Passthrough `json:"serviceConnectDefaults,omitempty"`
}
