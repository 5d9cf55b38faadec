package ecs

import (
	"log/slog"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/tasks"
)

// Handler implements the ECS operations over the state repositories.
type Handler struct {
	st       *state.State
	launcher *tasks.Launcher
	logger   *slog.Logger
}

// New returns an ECS handler.
func New(st *state.State, logger *slog.Logger) *Handler {
	return &Handler{st: st, launcher: &tasks.Launcher{State: st}, logger: logger.With("component", "ecs")}
}

// Service returns the JSON-protocol service to mount on the gateway.
func (h *Handler) Service() *api.JSONService {
	known := make(map[string]bool, len(ecswire.Operations))
	for _, op := range ecswire.Operations {
		known[op.Name] = true
	}
	s := &api.JSONService{
		TargetPrefix:   ecswire.TargetPrefix,
		ContentType:    "application/x-amz-json-1.1",
		ValidationCode: ecswire.ErrInvalidParameterException,
		Known:          known,
	}
	// Clusters.
	api.Register(s, "CreateCluster", h.CreateCluster)
	api.Register(s, "DescribeClusters", h.DescribeClusters)
	api.Register(s, "ListClusters", h.ListClusters)
	api.Register(s, "UpdateCluster", h.UpdateCluster)
	api.Register(s, "UpdateClusterSettings", h.UpdateClusterSettings)
	api.Register(s, "PutClusterCapacityProviders", h.PutClusterCapacityProviders)
	api.Register(s, "DeleteCluster", h.DeleteCluster)
	// Task definitions.
	api.Register(s, "RegisterTaskDefinition", h.RegisterTaskDefinition)
	api.Register(s, "DescribeTaskDefinition", h.DescribeTaskDefinition)
	api.Register(s, "ListTaskDefinitions", h.ListTaskDefinitions)
	api.Register(s, "ListTaskDefinitionFamilies", h.ListTaskDefinitionFamilies)
	api.Register(s, "DeregisterTaskDefinition", h.DeregisterTaskDefinition)
	api.Register(s, "DeleteTaskDefinitions", h.DeleteTaskDefinitions)
	// Container instances.
	api.Register(s, "RegisterContainerInstance", h.RegisterContainerInstance)
	api.Register(s, "DeregisterContainerInstance", h.DeregisterContainerInstance)
	api.Register(s, "DescribeContainerInstances", h.DescribeContainerInstances)
	api.Register(s, "ListContainerInstances", h.ListContainerInstances)
	api.Register(s, "UpdateContainerInstancesState", h.UpdateContainerInstancesState)
	// Tasks.
	api.Register(s, "RunTask", h.RunTask)
	api.Register(s, "StartTask", h.StartTask)
	api.Register(s, "StopTask", h.StopTask)
	api.Register(s, "DescribeTasks", h.DescribeTasks)
	api.Register(s, "ListTasks", h.ListTasks)
	// Services.
	api.Register(s, "CreateService", h.CreateService)
	api.Register(s, "UpdateService", h.UpdateService)
	api.Register(s, "DeleteService", h.DeleteService)
	api.Register(s, "DescribeServices", h.DescribeServices)
	api.Register(s, "ListServices", h.ListServices)
	api.Register(s, "ListServicesByNamespace", h.ListServicesByNamespace)
	api.Register(s, "ListServiceDeployments", h.ListServiceDeployments)
	api.Register(s, "DescribeServiceDeployments", h.DescribeServiceDeployments)
	api.Register(s, "StopServiceDeployment", h.StopServiceDeployment)
	// Tags, attributes, account settings.
	api.Register(s, "TagResource", h.TagResource)
	api.Register(s, "UntagResource", h.UntagResource)
	api.Register(s, "ListTagsForResource", h.ListTagsForResource)
	api.Register(s, "PutAttributes", h.PutAttributes)
	api.Register(s, "ListAttributes", h.ListAttributes)
	api.Register(s, "DeleteAttributes", h.DeleteAttributes)
	api.Register(s, "PutAccountSetting", h.PutAccountSetting)
	api.Register(s, "PutAccountSettingDefault", h.PutAccountSettingDefault)
	api.Register(s, "ListAccountSettings", h.ListAccountSettings)
	api.Register(s, "DeleteAccountSetting", h.DeleteAccountSetting)
	return s
}
