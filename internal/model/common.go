package model

import "encoding/json"

// Tag is a user-defined key/value pair attached to a resource.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// KeyValue is a name/value pair (environment variables, cluster settings).
type KeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Attribute is an ECS attribute on a container instance: a name with an
// optional value. Capability attributes carry no value.
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// Passthrough is an AWS-shaped value that wharf stores and returns verbatim
// but does not interpret. It is nil when the caller did not send it.
type Passthrough = json.RawMessage

// CapacityProviderStrategyItem is one entry of a capacity provider strategy.
type CapacityProviderStrategyItem struct {
	CapacityProvider string `json:"capacityProvider"`
	Weight           int32  `json:"weight"`
	Base             int32  `json:"base"`
}
