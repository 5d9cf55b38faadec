package ecs

import (
	"encoding/json"
	"strings"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
)

func unmarshalPassthrough(p model.Passthrough, v any) error { return json.Unmarshal(p, v) }

// deploymentCounts counts a deployment's tasks as ECS reports them, from
// the tasks themselves, so the numbers are true at every moment.
type deploymentCounts struct{ running, pending int32 }

func (h *Handler) countDeploymentTasks(svc *model.Service) map[string]deploymentCounts {
	out := map[string]deploymentCounts{}
	for _, t := range h.st.Tasks(svc.ClusterName) {
		if t.ServiceName != svc.Name || effectiveDesired(t, h.st) != model.DesiredRunning {
			continue
		}
		c := out[t.StartedBy]
		switch st := h.st.ObservedStatus(t); {
		case st == model.TaskRunning:
			c.running++
		case st < model.TaskRunning:
			c.pending++
		}
		out[t.StartedBy] = c
	}
	return out
}

func (h *Handler) serviceToWire(s *model.Service, withTags bool) *ecswire.Service {
	st, _ := h.st.ServiceState(s.ClusterName, s.Name)
	if st == nil {
		st = &model.ServiceState{}
	}
	deps := h.st.Deployments(s.ClusterName, s.Name)
	counts := h.countDeploymentTasks(s)
	grace := s.HealthCheckGracePeriodSeconds
	out := &ecswire.Service{
		ServiceArn: s.ARN, ServiceName: s.Name, ClusterArn: s.ClusterARN, Status: h.serviceStatus(s),
		DesiredCount: s.DesiredCount, SchedulingStrategy: ecswire.SchedulingStrategy(s.SchedulingStrategy),
		LaunchType: ecswire.LaunchType(s.LaunchType), CapacityProviderStrategy: strategyToWire(s.CapacityProviderStrategy),
		PlatformVersion: s.PlatformVersion, HealthCheckGracePeriodSeconds: &grace,
		EnableExecuteCommand: s.EnableExecuteCommand, EnableECSManagedTags: s.EnableECSManagedTags,
		PropagateTags:               ecswire.PropagateTags(orDefault(s.PropagateTags, "NONE")),
		AvailabilityZoneRebalancing: ecswire.AvailabilityZoneRebalancing(s.AvailabilityZoneRebalancing),
		CreatedAt:                   awsjson.NewTimestamp(s.CreatedAt), CreatedBy: s.CreatedBy,
		DeploymentController:    &ecswire.DeploymentController{Type: ecswire.DeploymentControllerTypeEcs},
		DeploymentConfiguration: deploymentConfigToWire(s.DeploymentConfiguration),
		Deployments:             []ecswire.Deployment{}, Events: []ecswire.ServiceEvent{},
		LoadBalancers: []ecswire.LoadBalancer{}, PlacementConstraints: []ecswire.PlacementConstraint{},
		PlacementStrategy: []ecswire.PlacementStrategy{},
	}
	if s.SchedulingStrategy == model.SchedulingDaemon {
		if len(deps) > 0 {
			out.DesiredCount = st.Deployments[deps[len(deps)-1].ID].DesiredCount
		}
	}
	if s.NetworkConfiguration != nil {
		out.NetworkConfiguration = new(ecswire.NetworkConfiguration)
		_ = unmarshalPassthrough(s.NetworkConfiguration, out.NetworkConfiguration)
	}
	if s.ServiceRegistries != nil {
		_ = unmarshalPassthrough(s.ServiceRegistries, &out.ServiceRegistries)
	}
	for _, lb := range s.LoadBalancers {
		port := lb.ContainerPort
		out.LoadBalancers = append(out.LoadBalancers, ecswire.LoadBalancer{TargetGroupArn: lb.TargetGroupARN,
			LoadBalancerName: lb.LoadBalancerName, ContainerName: lb.ContainerName, ContainerPort: &port})
	}
	for _, c := range s.PlacementConstraints {
		out.PlacementConstraints = append(out.PlacementConstraints, ecswire.PlacementConstraint{Type: ecswire.PlacementConstraintType(c.Type), Expression: c.Expression})
	}
	for _, p := range s.PlacementStrategy {
		out.PlacementStrategy = append(out.PlacementStrategy, ecswire.PlacementStrategy{Type: ecswire.PlacementStrategyType(p.Type), Field: p.Field})
	}
	// deployments[]: the PRIMARY (newest) and older ones that still have tasks.
	for i := len(deps) - 1; i >= 0; i-- {
		d := deps[i]
		ds := st.Deployments[d.ID]
		primary := i == len(deps)-1
		if !primary && ds.Inactive {
			continue
		}
		c := counts[d.ID]
		w := ecswire.Deployment{
			Id: d.ID, Status: "ACTIVE", TaskDefinition: d.TaskDefinitionARN,
			DesiredCount: ds.DesiredCount, RunningCount: c.running, PendingCount: c.pending, FailedTasks: ds.FailedTasks,
			CreatedAt: awsjson.NewTimestamp(d.CreatedAt), UpdatedAt: awsjson.NewTimestamp(laterOf(ds.UpdatedAt, d.CreatedAt)),
			LaunchType: ecswire.LaunchType(d.LaunchType), PlatformVersion: d.PlatformVersion,
			RolloutState:       ecswire.DeploymentRolloutState(orDefault(ds.RolloutState, "IN_PROGRESS")),
			RolloutStateReason: orDefault(ds.RolloutStateReason, "ECS deployment "+d.ID+" in progress."),
		}
		if primary {
			w.Status = "PRIMARY"
			out.TaskDefinition = d.TaskDefinitionARN
			if s.SchedulingStrategy == model.SchedulingReplica {
				w.DesiredCount = s.DesiredCount
			}
		}
		if d.NetworkConfiguration != nil {
			w.NetworkConfiguration = new(ecswire.NetworkConfiguration)
			_ = unmarshalPassthrough(d.NetworkConfiguration, w.NetworkConfiguration)
		}
		out.Deployments = append(out.Deployments, w)
		out.RunningCount += c.running
		out.PendingCount += c.pending
	}
	if len(deps) > 0 {
		out.CurrentServiceDeployment = h.serviceDeploymentARN(s, deps[len(deps)-1].ID)
	}
	for _, e := range st.Events {
		out.Events = append(out.Events, ecswire.ServiceEvent{Id: e.ID, CreatedAt: awsjson.NewTimestamp(e.CreatedAt), Message: e.Message})
	}
	if withTags {
		out.Tags = tagsToWire(s.Tags)
		if out.Tags == nil {
			out.Tags = []ecswire.Tag{}
		}
	}
	return out
}

func deploymentConfigToWire(dc model.DeploymentConfiguration) *ecswire.DeploymentConfiguration {
	maxP, minP := dc.MaximumPercent, dc.MinimumHealthyPercent
	out := &ecswire.DeploymentConfiguration{MaximumPercent: &maxP, MinimumHealthyPercent: &minP,
		DeploymentCircuitBreaker: &ecswire.DeploymentCircuitBreaker{Enable: dc.CircuitBreaker, Rollback: dc.Rollback},
		Strategy:                 ecswire.DeploymentStrategyRolling}
	if dc.Alarms != nil {
		out.Alarms = new(ecswire.DeploymentAlarms)
		_ = unmarshalPassthrough(dc.Alarms, out.Alarms)
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func laterOf[T interface{ After(T) bool }](a, b T) T {
	if a.After(b) {
		return a
	}
	return b
}

// serviceDeploymentARN is the ARN of a deployment in the service-deployment
// API: service-deployment/<cluster>/<service>/<digits of the id>.
func (h *Handler) serviceDeploymentARN(s *model.Service, id string) string {
	return strings.Replace(h.st.ARNs.Service(s.ClusterName, s.Name), ":service/", ":service-deployment/", 1) + "/" + strings.TrimPrefix(id, "ecs-svc/")
}
