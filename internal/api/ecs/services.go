package ecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/scheduler"
	"github.com/wharfhq/wharf/internal/state"
)

// maxServiceLoadBalancers is ECS's limit of target groups per service.
const maxServiceLoadBalancers = 5

func serviceNotActive() error {
	return api.Errorf(ecswire.ErrServiceNotActiveException, "Service was not ACTIVE.")
}

// CreateService creates a service and its first deployment.
func (h *Handler) CreateService(ctx context.Context, in *ecswire.CreateServiceRequest) (*ecswire.CreateServiceResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if !validName(in.ServiceName) {
		return nil, invalidParameter("Service name can have a maximum of 255 characters and may contain only letters (uppercase and lowercase), numbers, hyphens, and underscores.")
	}
	if len(in.ClientToken) > 36 {
		return nil, invalidParameter("clientToken can have at most 36 characters.")
	}
	if existing, ok := h.st.Service(c.Name, in.ServiceName); ok && !h.serviceInactive(existing) {
		if in.ClientToken != "" && existing.ClientToken == in.ClientToken {
			return &ecswire.CreateServiceResponse{Service: h.serviceToWire(existing, false)}, nil
		}
		return nil, invalidParameter("Creation of service was not idempotent.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if in.DeploymentController != nil && in.DeploymentController.Type != ecswire.DeploymentControllerTypeEcs {
		return nil, invalidParameter("deploymentController %s is not supported by wharf; only ECS (rolling updates) is.", in.DeploymentController.Type)
	}
	strategy := string(in.SchedulingStrategy)
	if strategy == "" {
		strategy = model.SchedulingReplica
	}
	if in.LaunchType != "" && len(in.CapacityProviderStrategy) > 0 {
		return nil, invalidParameter("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	}
	if in.TaskDefinition == "" {
		return nil, invalidParameter("TaskDefinition must be specified.")
	}
	td, err := h.lookupTaskDefinition(in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	if td.Status != model.TaskDefActive {
		return nil, clientError("TaskDefinition is inactive")
	}
	desired := int32(0)
	switch strategy {
	case model.SchedulingReplica:
		if in.DesiredCount == nil {
			return nil, invalidParameter("desiredCount is required for services with the REPLICA scheduling strategy.")
		}
		desired = *in.DesiredCount
	case model.SchedulingDaemon:
		if in.LaunchType == ecswire.LaunchTypeFargate {
			return nil, invalidParameter("The DAEMON scheduling strategy is not supported with the FARGATE launch type.")
		}
	}
	if desired < 0 {
		return nil, invalidParameter("desiredCount must not be negative.")
	}
	launchType := string(in.LaunchType)
	if launchType == "" && len(in.CapacityProviderStrategy) == 0 {
		launchType = string(ecswire.LaunchTypeEc2)
	}
	if launchType != "" && !slices.Contains(td.Compatibilities, launchType) {
		return nil, clientError("Task definition does not support launch_type %s.", launchType)
	}
	dc, err := deploymentConfigFromWire(in.DeploymentConfiguration, strategy, nil)
	if err != nil {
		return nil, err
	}
	if err := checkNetworkConfiguration(td, in.NetworkConfiguration); err != nil {
		return nil, err
	}
	lbs, err := loadBalancersFromWire(in.LoadBalancers, td)
	if err != nil {
		return nil, err
	}
	if err := h.checkTargetGroups(lbs, td); err != nil {
		return nil, err
	}
	constraints, strategies, err := placementFromWire(in.PlacementConstraints, in.PlacementStrategy)
	if err != nil {
		return nil, err
	}
	grace := int32(0)
	if in.HealthCheckGracePeriodSeconds != nil {
		if *in.HealthCheckGracePeriodSeconds < 0 {
			return nil, invalidParameter("healthCheckGracePeriodSeconds must not be negative.")
		}
		grace = *in.HealthCheckGracePeriodSeconds
	}
	svc := model.Service{
		ARN: h.st.ARNs.Service(c.Name, in.ServiceName), Name: in.ServiceName,
		ClusterARN: c.ARN, ClusterName: c.Name, Status: model.ServiceActive,
		DesiredCount: desired, SchedulingStrategy: strategy, LaunchType: launchType,
		CapacityProviderStrategy: strategyFromWire(in.CapacityProviderStrategy), PlatformVersion: in.PlatformVersion,
		DeploymentConfiguration: dc, DeploymentController: string(ecswire.DeploymentControllerTypeEcs),
		PlacementConstraints: constraints, PlacementStrategy: strategies, LoadBalancers: lbs,
		NetworkConfiguration: passthrough(in.NetworkConfiguration), ServiceRegistries: passthroughSlice(in.ServiceRegistries),
		HealthCheckGracePeriodSeconds: grace, EnableExecuteCommand: in.EnableExecuteCommand,
		EnableECSManagedTags: in.EnableECSManagedTags, PropagateTags: string(in.PropagateTags),
		AvailabilityZoneRebalancing: string(in.AvailabilityZoneRebalancing),
		Tags:                        tagsFromWire(in.Tags), ClientToken: in.ClientToken, CreatedAt: h.st.Now(), CreatedBy: h.rootPrincipal(),
	}
	if svc.AvailabilityZoneRebalancing == "" {
		svc.AvailabilityZoneRebalancing = "ENABLED"
	}
	dep := model.Deployment{ID: model.NewDeploymentID(), ServiceName: svc.Name, TaskDefinitionARN: td.ARN, LaunchType: launchType,
		PlatformVersion: in.PlatformVersion, NetworkConfiguration: svc.NetworkConfiguration, LoadBalancers: lbs, CreatedAt: svc.CreatedAt}
	if err := h.st.CreateService(ctx, svc, dep); err != nil {
		if errors.Is(err, state.ErrServiceExists) {
			return nil, invalidParameter("Creation of service was not idempotent.")
		}
		return nil, mapStateError(err)
	}
	stored, _ := h.st.Service(c.Name, svc.Name)
	return &ecswire.CreateServiceResponse{Service: h.serviceToWire(stored, true)}, nil
}

func passthroughSlice[T any](v []T) model.Passthrough {
	if v == nil {
		return nil
	}
	return passthrough(&v)
}

// deploymentConfigFromWire applies ECS's defaults (REPLICA 100/200, DAEMON
// 0/100) over old (nil for a new service) and validates the result.
func deploymentConfigFromWire(in *ecswire.DeploymentConfiguration, strategy string, old *model.DeploymentConfiguration) (model.DeploymentConfiguration, error) {
	dc := model.DeploymentConfiguration{MaximumPercent: 200, MinimumHealthyPercent: 100}
	if strategy == model.SchedulingDaemon {
		dc = model.DeploymentConfiguration{MaximumPercent: 100, MinimumHealthyPercent: 0}
	}
	if old != nil {
		dc = *old
	}
	if in == nil {
		return dc, nil
	}
	if in.MaximumPercent != nil {
		dc.MaximumPercent = *in.MaximumPercent
	}
	if in.MinimumHealthyPercent != nil {
		dc.MinimumHealthyPercent = *in.MinimumHealthyPercent
	}
	if in.DeploymentCircuitBreaker != nil {
		dc.CircuitBreaker, dc.Rollback = in.DeploymentCircuitBreaker.Enable, in.DeploymentCircuitBreaker.Rollback
	}
	if in.Alarms != nil {
		dc.Alarms = passthrough(in.Alarms)
	}
	if in.Strategy != "" && in.Strategy != ecswire.DeploymentStrategyRolling {
		return dc, invalidParameter("deploymentConfiguration.strategy %s is not supported by wharf; only ROLLING is.", in.Strategy)
	}
	switch {
	case dc.MinimumHealthyPercent < 0 || dc.MinimumHealthyPercent > 100:
		return dc, invalidParameter("deploymentConfiguration.minimumHealthyPercent must be between 0 and 100.")
	case strategy == model.SchedulingDaemon && dc.MaximumPercent != 100:
		return dc, invalidParameter("The maximumPercent value for a service using the DAEMON scheduling strategy must be 100.")
	case dc.MaximumPercent < 100 && !(dc.MinimumHealthyPercent == 0 && dc.MaximumPercent > 0):
		return dc, invalidParameter("deploymentConfiguration.maximumPercent must be at least 100.")
	}
	return dc, nil
}

func checkNetworkConfiguration(td *model.TaskDefinition, nc *ecswire.NetworkConfiguration) error {
	if td.NetworkMode == model.NetworkAwsvpc {
		if nc == nil || nc.AwsvpcConfiguration == nil || len(nc.AwsvpcConfiguration.Subnets) == 0 {
			return invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
		}
		return nil
	}
	if nc != nil {
		return invalidParameter("Network Configuration is not valid for the given networkMode of this task definition.")
	}
	return nil
}

func loadBalancersFromWire(in []ecswire.LoadBalancer, td *model.TaskDefinition) ([]model.ServiceLoadBalancer, error) {
	if len(in) > maxServiceLoadBalancers {
		return nil, invalidParameter("loadBalancers can have at most %d items.", maxServiceLoadBalancers)
	}
	var out []model.ServiceLoadBalancer
	for i, lb := range in {
		cd, ok := td.Container(lb.ContainerName)
		if !ok {
			return nil, invalidParameter("loadBalancers[%d]: the container %s does not exist in the task definition.", i, lb.ContainerName)
		}
		port := int32(0)
		if lb.ContainerPort != nil {
			port = *lb.ContainerPort
		}
		if !slices.ContainsFunc(cd.PortMappings, func(pm model.PortMapping) bool { return pm.ContainerPort != nil && *pm.ContainerPort == port }) {
			return nil, invalidParameter("loadBalancers[%d]: the container %s did not have a container port %d defined.", i, lb.ContainerName, port)
		}
		out = append(out, model.ServiceLoadBalancer{TargetGroupARN: lb.TargetGroupArn, LoadBalancerName: lb.LoadBalancerName, ContainerName: lb.ContainerName, ContainerPort: port})
	}
	return out, nil
}

// checkTargetGroups applies ECS's checks on a service's target groups:
// they exist, a load balancer forwards to them, and awsvpc tasks need
// target type ip.
func (h *Handler) checkTargetGroups(lbs []model.ServiceLoadBalancer, td *model.TaskDefinition) error {
	for i, lb := range lbs {
		if lb.TargetGroupARN == "" {
			return invalidParameter("loadBalancers[%d]: targetGroupArn is required (Classic Load Balancers are not supported).", i)
		}
		tg, ok := h.st.TargetGroupByARN(lb.TargetGroupARN)
		if !ok {
			return invalidParameter("Unable to find target group %s.", lb.TargetGroupARN)
		}
		if !h.targetGroupAttached(tg.ARN) {
			return invalidParameter("The target group with targetGroupArn %s does not have an associated load balancer.", tg.ARN)
		}
		if td.NetworkMode == model.NetworkAwsvpc && tg.TargetType != "ip" {
			return invalidParameter("The provided target group %s has target type %s, which is incompatible with the awsvpc network mode specified in the task definition.", tg.ARN, tg.TargetType)
		}
		if td.NetworkMode != model.NetworkAwsvpc && tg.TargetType == "ip" {
			return invalidParameter("The provided target group %s has target type ip, which is only supported with the awsvpc network mode.", tg.ARN)
		}
	}
	return nil
}

// targetGroupAttached reports whether a listener or rule forwards to tg.
func (h *Handler) targetGroupAttached(tgARN string) bool {
	forwards := func(actions []model.Action) bool {
		for _, a := range actions {
			for _, g := range a.TargetGroups {
				if g.ARN == tgARN {
					return true
				}
			}
		}
		return false
	}
	for _, l := range h.st.AllListeners() {
		if forwards(l.DefaultActions) {
			return true
		}
	}
	for _, r := range h.st.AllRules() {
		if forwards(r.Actions) {
			return true
		}
	}
	return false
}

func placementFromWire(cs []ecswire.PlacementConstraint, ss []ecswire.PlacementStrategy) ([]model.PlacementConstraint, []model.PlacementStrategy, error) {
	var sc []scheduler.Constraint
	var sst []scheduler.Strategy
	var mc []model.PlacementConstraint
	var ms []model.PlacementStrategy
	for _, c := range cs {
		sc = append(sc, scheduler.Constraint{Type: string(c.Type), Expression: c.Expression})
		mc = append(mc, model.PlacementConstraint{Type: string(c.Type), Expression: c.Expression})
	}
	for _, s := range ss {
		sst = append(sst, scheduler.Strategy{Type: string(s.Type), Field: s.Field})
		ms = append(ms, model.PlacementStrategy{Type: string(s.Type), Field: s.Field})
	}
	if err := scheduler.Validate(sst, sc); err != nil {
		return nil, nil, invalidParameter("%v", err)
	}
	return mc, ms, nil
}

// serviceInactive reports whether a service is INACTIVE (its name reusable).
func (h *Handler) serviceInactive(s *model.Service) bool {
	st, ok := h.st.ServiceState(s.ClusterName, s.Name)
	return ok && st.Inactive && s.Status != model.ServiceActive
}

// serviceStatus is the status ECS reports.
func (h *Handler) serviceStatus(s *model.Service) string {
	if h.serviceInactive(s) {
		return model.ServiceInactive
	}
	return s.Status
}

// resolveService finds a service by name or ARN in a cluster.
func (h *Handler) resolveService(clusterRef, ref string) (*model.Cluster, *model.Service, error) {
	c, err := h.activeCluster(clusterRef)
	if err != nil {
		return nil, nil, err
	}
	name := ref
	if strings.HasPrefix(ref, "arn:") {
		name = ref[strings.LastIndexByte(ref, '/')+1:]
	}
	s, ok := h.st.Service(c.Name, name)
	if !ok {
		return nil, nil, serviceNotFound()
	}
	return c, s, nil
}

// UpdateService changes a service; some changes start a new deployment
// (task definition, network configuration, load balancers, platform
// version, forceNewDeployment), the rest apply in place.
func (h *Handler) UpdateService(ctx context.Context, in *ecswire.UpdateServiceRequest) (*ecswire.UpdateServiceResponse, error) {
	c, svc, err := h.resolveService(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	if h.serviceStatus(svc) != model.ServiceActive {
		return nil, serviceNotActive()
	}
	deps := h.st.Deployments(c.Name, svc.Name)
	if len(deps) == 0 {
		return nil, fmt.Errorf("service %s has no deployment", svc.Name)
	}
	primary := deps[len(deps)-1]
	td, err := h.lookupTaskDefinition(primary.TaskDefinitionARN)
	if err != nil {
		return nil, err
	}
	newDeployment := in.ForceNewDeployment
	next := model.Deployment{ServiceName: svc.Name, TaskDefinitionARN: primary.TaskDefinitionARN, LaunchType: primary.LaunchType,
		PlatformVersion: primary.PlatformVersion, NetworkConfiguration: primary.NetworkConfiguration, LoadBalancers: primary.LoadBalancers}
	if in.TaskDefinition != "" {
		if td, err = h.lookupTaskDefinition(in.TaskDefinition); err != nil {
			return nil, err
		}
		if td.Status != model.TaskDefActive {
			return nil, clientError("TaskDefinition is inactive")
		}
		if svc.LaunchType != "" && !slices.Contains(td.Compatibilities, svc.LaunchType) {
			return nil, clientError("Task definition does not support launch_type %s.", svc.LaunchType)
		}
		if td.ARN != primary.TaskDefinitionARN {
			newDeployment = true
		}
		next.TaskDefinitionARN = td.ARN
	}
	if in.NetworkConfiguration != nil {
		next.NetworkConfiguration = passthrough(in.NetworkConfiguration)
		newDeployment = newDeployment || string(next.NetworkConfiguration) != string(primary.NetworkConfiguration)
	}
	nc := in.NetworkConfiguration
	if nc == nil && next.NetworkConfiguration != nil {
		nc = new(ecswire.NetworkConfiguration)
		_ = unmarshalPassthrough(next.NetworkConfiguration, nc)
	}
	if err := checkNetworkConfiguration(td, nc); err != nil {
		return nil, err
	}
	if in.LoadBalancers != nil {
		lbs, err := loadBalancersFromWire(in.LoadBalancers, td)
		if err != nil {
			return nil, err
		}
		if err := h.checkTargetGroups(lbs, td); err != nil {
			return nil, err
		}
		next.LoadBalancers = lbs
		newDeployment = true
	}
	if in.PlatformVersion != "" && in.PlatformVersion != primary.PlatformVersion {
		next.PlatformVersion = in.PlatformVersion
		newDeployment = true
	}
	dc, err := deploymentConfigFromWire(in.DeploymentConfiguration, svc.SchedulingStrategy, &svc.DeploymentConfiguration)
	if err != nil {
		return nil, err
	}
	var constraints []model.PlacementConstraint
	var strategies []model.PlacementStrategy
	if in.PlacementConstraints != nil || in.PlacementStrategy != nil {
		if constraints, strategies, err = placementFromWire(in.PlacementConstraints, in.PlacementStrategy); err != nil {
			return nil, err
		}
	}
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return nil, invalidParameter("desiredCount must not be negative.")
	}
	if in.HealthCheckGracePeriodSeconds != nil && *in.HealthCheckGracePeriodSeconds < 0 {
		return nil, invalidParameter("healthCheckGracePeriodSeconds must not be negative.")
	}
	if newDeployment {
		next.ID = model.NewDeploymentID()
		next.CreatedAt = h.st.Now()
		if _, err := h.st.AddDeployment(ctx, c.Name, svc.Name, next); err != nil {
			return nil, mapStateError(err)
		}
	}
	updated, err := h.st.UpdateService(ctx, c.Name, svc.Name, func(s *model.Service) error {
		if s.Status != model.ServiceActive {
			return serviceNotActive()
		}
		if in.DesiredCount != nil && s.SchedulingStrategy == model.SchedulingReplica {
			s.DesiredCount = *in.DesiredCount
		}
		s.DeploymentConfiguration = dc
		if in.PlacementConstraints != nil {
			s.PlacementConstraints = constraints
		}
		if in.PlacementStrategy != nil {
			s.PlacementStrategy = strategies
		}
		if in.HealthCheckGracePeriodSeconds != nil {
			s.HealthCheckGracePeriodSeconds = *in.HealthCheckGracePeriodSeconds
		}
		if in.EnableExecuteCommand != nil {
			s.EnableExecuteCommand = *in.EnableExecuteCommand
		}
		if in.EnableECSManagedTags != nil {
			s.EnableECSManagedTags = *in.EnableECSManagedTags
		}
		if in.PropagateTags != "" {
			s.PropagateTags = string(in.PropagateTags)
		}
		if in.CapacityProviderStrategy != nil {
			s.CapacityProviderStrategy = strategyFromWire(in.CapacityProviderStrategy)
		}
		s.NetworkConfiguration = next.NetworkConfiguration
		s.LoadBalancers = next.LoadBalancers
		s.PlatformVersion = next.PlatformVersion
		return nil
	})
	if err != nil {
		return nil, mapStateError(err)
	}
	return &ecswire.UpdateServiceResponse{Service: h.serviceToWire(updated, false)}, nil
}

// DeleteService drains a service: it stops all tasks and becomes INACTIVE
// once they are gone. A REPLICA service scaled above 0 needs force.
func (h *Handler) DeleteService(ctx context.Context, in *ecswire.DeleteServiceRequest) (*ecswire.DeleteServiceResponse, error) {
	c, svc, err := h.resolveService(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	if h.serviceStatus(svc) == model.ServiceInactive {
		return nil, serviceNotFound()
	}
	if svc.Status == model.ServiceActive && svc.SchedulingStrategy == model.SchedulingReplica && svc.DesiredCount > 0 && !boolValue(in.Force) {
		return nil, invalidParameter("The service cannot be stopped while it is scaled above 0.")
	}
	updated, err := h.st.UpdateService(ctx, c.Name, svc.Name, func(s *model.Service) error {
		if s.Status == model.ServiceActive {
			s.Status = model.ServiceDraining
			s.DesiredCount = 0
			s.DeletedAt = h.st.Now()
		}
		return nil
	})
	if err != nil {
		return nil, mapStateError(err)
	}
	return &ecswire.DeleteServiceResponse{Service: h.serviceToWire(updated, false)}, nil
}

// DescribeServices describes up to 10 services, including DRAINING and
// INACTIVE ones; unknown names are MISSING.
func (h *Handler) DescribeServices(_ context.Context, in *ecswire.DescribeServicesRequest) (*ecswire.DescribeServicesResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Services) > 10 {
		return nil, invalidParameter("services can have at most 10 items.")
	}
	withTags := slices.Contains(in.Include, ecswire.ServiceFieldTags)
	out := &ecswire.DescribeServicesResponse{Services: []ecswire.Service{}, Failures: []ecswire.Failure{}}
	for _, ref := range in.Services {
		name := ref
		if strings.HasPrefix(ref, "arn:") {
			name = ref[strings.LastIndexByte(ref, '/')+1:]
		}
		s, ok := h.st.Service(c.Name, name)
		if !ok {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: h.st.ARNs.Service(c.Name, name), Reason: "MISSING"})
			continue
		}
		out.Services = append(out.Services, *h.serviceToWire(s, withTags))
	}
	return out, nil
}

// ListServices lists ACTIVE services (DRAINING and INACTIVE are hidden).
func (h *Handler) ListServices(_ context.Context, in *ecswire.ListServicesRequest) (*ecswire.ListServicesResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range h.st.Services(c.Name) {
		if s.Status != model.ServiceActive ||
			in.LaunchType != "" && s.LaunchType != string(in.LaunchType) ||
			in.SchedulingStrategy != "" && s.SchedulingStrategy != string(in.SchedulingStrategy) {
			continue
		}
		names = append(names, s.Name)
	}
	page, next, err := paginate("ListServices", names, in.MaxResults, in.NextToken, 10)
	if err != nil {
		return nil, err
	}
	out := &ecswire.ListServicesResponse{ServiceArns: []string{}, NextToken: next}
	for _, n := range page {
		out.ServiceArns = append(out.ServiceArns, h.st.ARNs.Service(c.Name, n))
	}
	return out, nil
}

// ListServicesByNamespace lists the ACTIVE services of clusters whose
// Service Connect default namespace is the given one. Cloud Map does not
// exist locally: a namespace no cluster uses is NamespaceNotFoundException.
func (h *Handler) ListServicesByNamespace(_ context.Context, in *ecswire.ListServicesByNamespaceRequest) (*ecswire.ListServicesByNamespaceResponse, error) {
	var arns []string
	found := false
	for _, c := range h.st.Clusters() {
		if c.Status != model.ClusterActive || c.ServiceConnectDefaults == nil {
			continue
		}
		var d ecswire.ClusterServiceConnectDefaults
		if unmarshalPassthrough(c.ServiceConnectDefaults, &d) != nil || (d.Namespace != in.Namespace && !strings.HasSuffix(in.Namespace, "/"+d.Namespace)) {
			continue
		}
		found = true
		for _, s := range h.st.Services(c.Name) {
			if s.Status == model.ServiceActive {
				arns = append(arns, s.ARN)
			}
		}
	}
	if !found {
		return nil, api.Errorf(ecswire.ErrNamespaceNotFoundException, "The specified namespace wasn't found.")
	}
	slices.Sort(arns)
	page, next, err := paginate("ListServicesByNamespace", arns, in.MaxResults, in.NextToken, 10)
	if err != nil {
		return nil, err
	}
	return &ecswire.ListServicesByNamespaceResponse{ServiceArns: append([]string{}, page...), NextToken: next}, nil
}
