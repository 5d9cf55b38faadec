package ecs

import (
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/scheduler"
)

// compileInstanceFilter compiles a ListContainerInstances filter written
// in the cluster query language (the language of memberOf constraints).
func compileInstanceFilter(expr string) (func(*model.ContainerInstance) bool, error) {
	e, err := scheduler.ParseExpression(expr)
	if err != nil {
		return nil, invalidParameter("filter: %v", err)
	}
	return func(ci *model.ContainerInstance) bool {
		return e.Match(schedulerInstance(ci))
	}, nil
}

// schedulerInstance is the placement view of a container instance.
func schedulerInstance(ci *model.ContainerInstance) scheduler.Instance {
	attrs := make(map[string]string, len(ci.Attributes))
	for _, a := range ci.Attributes {
		attrs[a.Name] = a.Value
	}
	return scheduler.Instance{
		ARN:               ci.ARN,
		ID:                ci.ID,
		EC2InstanceID:     ci.EC2InstanceID,
		Status:            ci.Status,
		AgentDisconnected: !ci.AgentConnected,
		AgentVersion:      ci.VersionInfo.AgentVersion,
		RegisteredAt:      ci.RegisteredAt,
		Attributes:        attrs,
		RemainingCPU:      int64(ci.IntegerResource("CPU")),
		RemainingMemory:   int64(ci.IntegerResource("MEMORY")),
	}
}
