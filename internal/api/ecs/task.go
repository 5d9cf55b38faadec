package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/scheduler"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/tasks"
)

// maxOverridesSize is ECS's limit on the JSON size of task overrides.
const maxOverridesSize = 8192

// launchParams holds what RunTask and StartTask share.
type launchParams struct {
	cluster, taskDefinition, group, startedBy string
	overrides                                 *ecswire.TaskOverride
	tags                                      []ecswire.Tag
	propagateTags                             ecswire.PropagateTags
	enableManagedTags, enableExecuteCommand   bool
	networkConfiguration                      *ecswire.NetworkConfiguration
}

// prepareLaunch validates what RunTask and StartTask share and builds the
// launch request (without placement).
func (h *Handler) prepareLaunch(p launchParams) (*tasks.Request, error) {
	c, err := h.activeCluster(p.cluster)
	if err != nil {
		return nil, err
	}
	td, err := h.lookupTaskDefinition(p.taskDefinition)
	if err != nil {
		return nil, err
	}
	if td.Status != model.TaskDefActive {
		return nil, clientError("TaskDefinition is inactive")
	}
	if err := checkTags(p.tags); err != nil {
		return nil, err
	}
	if len(p.startedBy) > 128 || strings.ContainsFunc(p.startedBy, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '/')
	}) {
		return nil, invalidParameter("startedBy may contain up to 128 letters, numbers, hyphens, forward slashes and underscores.")
	}
	group := p.group
	if group == "" {
		group = model.TaskGroup(td.Family)
	}
	if len(group) > 255 {
		return nil, invalidParameter("group can have at most 255 characters.")
	}
	if td.NetworkMode == model.NetworkAwsvpc {
		if p.networkConfiguration == nil || p.networkConfiguration.AwsvpcConfiguration == nil {
			return nil, invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
		}
		if n := len(p.networkConfiguration.AwsvpcConfiguration.Subnets); n < 1 || n > 16 {
			return nil, invalidParameter("networkConfiguration.awsvpcConfiguration.subnets must contain 1 to 16 subnets.")
		}
		if len(p.networkConfiguration.AwsvpcConfiguration.SecurityGroups) > 5 {
			return nil, invalidParameter("networkConfiguration.awsvpcConfiguration.securityGroups can have at most 5 security groups.")
		}
	} else if p.networkConfiguration != nil {
		return nil, invalidParameter("Network Configuration is not valid for the given networkMode of this task definition.")
	}
	ov, err := overridesFromWire(p.overrides, td)
	if err != nil {
		return nil, err
	}
	tags := tagsFromWire(p.tags)
	switch p.propagateTags {
	case ecswire.PropagateTagsTaskDefinition:
		tags = mergeTags(td.Tags, tags)
	case ecswire.PropagateTagsService:
		return nil, invalidParameter("propagateTags SERVICE is only valid for service tasks.")
	}
	if p.enableManagedTags {
		tags = mergeTags(tags, []model.Tag{{Key: "aws:ecs:clusterName", Value: c.Name}})
	}
	return &tasks.Request{
		Cluster: c, TaskDef: td, Count: 1, Group: group, StartedBy: p.startedBy,
		Overrides: ov, Tags: tags, EnableExecuteCommand: p.enableExecuteCommand,
		NetworkConfiguration: passthrough(p.networkConfiguration),
	}, nil
}

func overridesFromWire(in *ecswire.TaskOverride, td *model.TaskDefinition) (model.TaskOverrides, error) {
	var ov model.TaskOverrides
	if in == nil {
		return ov, nil
	}
	if buf, _ := json.Marshal(in); len(buf) > maxOverridesSize {
		return ov, invalidParameter("Container Overrides length must be at most %d", maxOverridesSize)
	}
	var err error
	if in.Cpu != "" {
		if ov.CPU, err = normalizeTaskCPU(in.Cpu); err != nil {
			return ov, invalidParameter("overrides.cpu: %v", err)
		}
	}
	if in.Memory != "" {
		if ov.Memory, err = normalizeTaskMemory(in.Memory); err != nil {
			return ov, invalidParameter("overrides.memory: %v", err)
		}
	}
	ov.TaskRoleARN, ov.ExecutionRoleARN = in.TaskRoleArn, in.ExecutionRoleArn
	for i, co := range in.ContainerOverrides {
		if _, ok := td.Container(co.Name); !ok {
			return ov, invalidParameter("overrides.containerOverrides[%d].name: container %s is not in the task definition.", i, co.Name)
		}
		o := model.ContainerOverride{Name: co.Name, Command: co.Command, CPU: co.Cpu, Memory: co.Memory, MemoryReservation: co.MemoryReservation}
		for _, e := range co.Environment {
			o.Environment = append(o.Environment, model.KeyValue{Name: e.Name, Value: e.Value})
		}
		ov.ContainerOverrides = append(ov.ContainerOverrides, o)
	}
	return ov, nil
}

// RunTask places and starts tasks on the cluster's container instances.
func (h *Handler) RunTask(ctx context.Context, in *ecswire.RunTaskRequest) (*ecswire.RunTaskResponse, error) {
	count := 1
	if in.Count != nil {
		if *in.Count < 1 || *in.Count > 10 {
			return nil, invalidParameter("count must be between 1 and 10.")
		}
		count = int(*in.Count)
	}
	if in.LaunchType != "" && len(in.CapacityProviderStrategy) > 0 {
		return nil, invalidParameter("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	}
	if len(in.ClientToken) > 64 {
		return nil, invalidParameter("clientToken can have at most 64 characters.")
	}
	req, err := h.prepareLaunch(launchParams{
		cluster: in.Cluster, taskDefinition: in.TaskDefinition, group: in.Group, startedBy: in.StartedBy,
		overrides: in.Overrides, tags: in.Tags, propagateTags: in.PropagateTags,
		enableManagedTags: in.EnableECSManagedTags, enableExecuteCommand: in.EnableExecuteCommand,
		networkConfiguration: in.NetworkConfiguration,
	})
	if err != nil {
		return nil, err
	}
	req.Count = count
	req.LaunchType = string(in.LaunchType)
	if req.LaunchType == "" && len(in.CapacityProviderStrategy) == 0 {
		req.LaunchType = string(ecswire.LaunchTypeEc2)
	}
	if len(in.CapacityProviderStrategy) > 0 {
		req.CapacityProviderName = in.CapacityProviderStrategy[0].CapacityProvider
	}
	if req.LaunchType != "" && !slices.Contains(req.TaskDef.Compatibilities, req.LaunchType) {
		return nil, clientError("Task definition does not support launch_type %s.", req.LaunchType)
	}
	if in.ClientToken != "" {
		req.ClientToken = in.ClientToken
		if prior := h.tasksWithToken(req.Cluster.Name, in.ClientToken); len(prior) > 0 {
			if prior[0].TaskDefinitionARN != req.TaskDef.ARN || len(prior) != count {
				return nil, h.conflict("The clientToken was already used with different parameters.")
			}
			out := &ecswire.RunTaskResponse{Tasks: []ecswire.Task{}, Failures: []ecswire.Failure{}}
			for _, t := range prior {
				out.Tasks = append(out.Tasks, *h.taskToWire(t, false))
			}
			return out, nil
		}
	}
	for _, s := range in.PlacementStrategy {
		req.Strategy = append(req.Strategy, scheduler.Strategy{Type: string(s.Type), Field: s.Field})
	}
	for _, c := range req.TaskDef.PlacementConstraints {
		req.Constraints = append(req.Constraints, scheduler.Constraint{Type: c.Type, Expression: c.Expression})
	}
	for _, c := range in.PlacementConstraints {
		req.Constraints = append(req.Constraints, scheduler.Constraint{Type: string(c.Type), Expression: c.Expression})
	}
	if err := scheduler.Validate(req.Strategy, req.Constraints); err != nil {
		return nil, invalidParameter("%v", err)
	}
	return h.launch(ctx, req)
}

// StartTask starts one task on each of the named container instances.
func (h *Handler) StartTask(ctx context.Context, in *ecswire.StartTaskRequest) (*ecswire.StartTaskResponse, error) {
	if len(in.ContainerInstances) == 0 || len(in.ContainerInstances) > 10 {
		return nil, invalidParameter("containerInstances must contain 1 to 10 container instances.")
	}
	req, err := h.prepareLaunch(launchParams{
		cluster: in.Cluster, taskDefinition: in.TaskDefinition, group: in.Group, startedBy: in.StartedBy,
		overrides: in.Overrides, tags: in.Tags, propagateTags: in.PropagateTags,
		enableManagedTags: in.EnableECSManagedTags, enableExecuteCommand: in.EnableExecuteCommand,
		networkConfiguration: in.NetworkConfiguration,
	})
	if err != nil {
		return nil, err
	}
	req.LaunchType = string(ecswire.LaunchTypeEc2)
	for _, ref := range in.ContainerInstances {
		id, ok := instanceID(ref, req.Cluster.Name)
		if !ok {
			id = ref
		}
		req.Instances = append(req.Instances, id)
	}
	out, err := h.launch(ctx, req)
	if err != nil {
		return nil, err
	}
	return &ecswire.StartTaskResponse{Tasks: out.Tasks, Failures: out.Failures}, nil
}

func (h *Handler) launch(ctx context.Context, req *tasks.Request) (*ecswire.RunTaskResponse, error) {
	placed, failures, err := h.launcher.Launch(ctx, *req)
	if err != nil {
		return nil, mapStateError(err)
	}
	out := &ecswire.RunTaskResponse{Tasks: []ecswire.Task{}, Failures: []ecswire.Failure{}}
	for _, t := range placed {
		out.Tasks = append(out.Tasks, *h.taskToWire(t, true))
	}
	for _, f := range failures {
		out.Failures = append(out.Failures, ecswire.Failure{Arn: f.Arn, Reason: f.Reason, Detail: f.Detail})
	}
	return out, nil
}

func (h *Handler) tasksWithToken(cluster, token string) []*model.Task {
	var out []*model.Task
	for _, t := range h.st.Tasks(cluster) {
		if t.ClientToken == token {
			out = append(out, t)
		}
	}
	return out
}

// StopTask asks a task to stop; the agent running it does the rest.
func (h *Handler) StopTask(ctx context.Context, in *ecswire.StopTaskRequest) (*ecswire.StopTaskResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Reason) > 1024 {
		return nil, invalidParameter("reason can have at most 1024 characters.")
	}
	t, ok := h.st.TaskByRef(c.Name, in.Task)
	if !ok {
		return nil, invalidParameter("The referenced task was not found.")
	}
	reason := in.Reason
	if reason == "" {
		reason = "Task stopped by user"
	}
	observed, _ := h.st.TaskState(c.Name, t.ID)
	updated, err := h.st.UpdateTask(ctx, c.Name, t.ID, func(t *model.Task) error {
		if t.DesiredStatus == model.DesiredStopped {
			return nil // already stopping: keep the first stop code and reason
		}
		t.DesiredStatus = model.DesiredStopped
		t.StopRequested = h.st.Now()
		// A task the agent already stopped on its own keeps that reason.
		if observed == nil || observed.StopCode == "" {
			t.StopCode = model.StopUserInitiated
			t.StoppedReason = reason
		}
		return nil
	})
	if err != nil {
		return nil, mapStateError(err)
	}
	return &ecswire.StopTaskResponse{Task: h.taskToWire(updated, false)}, nil
}

// DescribeTasks describes tasks by id or ARN; unknown ones are MISSING.
func (h *Handler) DescribeTasks(_ context.Context, in *ecswire.DescribeTasksRequest) (*ecswire.DescribeTasksResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Tasks) > 100 {
		return nil, invalidParameter("tasks can have at most 100 items.")
	}
	withTags := slices.Contains(in.Include, ecswire.TaskFieldTags)
	out := &ecswire.DescribeTasksResponse{Tasks: []ecswire.Task{}, Failures: []ecswire.Failure{}}
	for _, ref := range in.Tasks {
		t, ok := h.st.TaskByRef(c.Name, ref)
		if !ok {
			failArn := ref
			if !strings.HasPrefix(ref, "arn:") {
				failArn = h.st.ARNs.Task(c.Name, ref)
			}
			out.Failures = append(out.Failures, ecswire.Failure{Arn: failArn, Reason: "MISSING"})
			continue
		}
		out.Tasks = append(out.Tasks, *h.taskToWire(t, withTags))
	}
	return out, nil
}

// ListTasks lists task ARNs. startedBy must be the only filter when set, as
// in ECS; desiredStatus defaults to RUNNING (which includes pending tasks).
func (h *Handler) ListTasks(_ context.Context, in *ecswire.ListTasksRequest) (*ecswire.ListTasksResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.StartedBy != "" && (in.ContainerInstance != "" || in.Family != "" || in.ServiceName != "") {
		return nil, invalidParameter("startedBy may not be combined with containerInstance, family or serviceName.")
	}
	desired := string(in.DesiredStatus)
	if desired == "" {
		desired = model.DesiredRunning
	}
	var instID string
	if in.ContainerInstance != "" {
		var ok bool
		if instID, ok = instanceID(in.ContainerInstance, c.Name); !ok {
			return nil, invalidParameter("containerInstance %s is not a valid container instance.", in.ContainerInstance)
		}
	}
	if in.ServiceName != "" {
		if _, _, err := h.resolveService(in.Cluster, in.ServiceName); err != nil {
			return nil, err
		}
	}
	serviceName := in.ServiceName
	if strings.HasPrefix(serviceName, "arn:") {
		serviceName = serviceName[strings.LastIndexByte(serviceName, '/')+1:]
	}
	var ids []string
	for _, t := range h.st.Tasks(c.Name) {
		if effectiveDesired(t, h.st) != desired ||
			instID != "" && t.InstanceID != instID ||
			in.Family != "" && t.Family != in.Family ||
			in.StartedBy != "" && t.StartedBy != in.StartedBy ||
			serviceName != "" && t.ServiceName != serviceName ||
			in.LaunchType != "" && t.LaunchType != string(in.LaunchType) {
			continue
		}
		ids = append(ids, t.ID)
	}
	page, next, err := paginate("ListTasks", ids, in.MaxResults, in.NextToken, defaultPageSize)
	if err != nil {
		return nil, err
	}
	out := &ecswire.ListTasksResponse{TaskArns: []string{}, NextToken: next}
	for _, id := range page {
		out.TaskArns = append(out.TaskArns, h.st.ARNs.Task(c.Name, id))
	}
	return out, nil
}

// effectiveDesired is the desired status ECS reports: STOPPED once the
// task was asked to stop or stopped on its own.
func effectiveDesired(t *model.Task, st *state.State) string {
	if t.DesiredStatus == model.DesiredStopped || !t.DrainStartedAt.IsZero() {
		return model.DesiredStopped
	}
	if s, ok := st.TaskState(t.ClusterName, t.ID); ok && (s.StopCode != "" || s.LastStatus >= model.TaskDeactivating) {
		return model.DesiredStopped
	}
	return model.DesiredRunning
}

func (h *Handler) conflict(format string, args ...any) error {
	return apiError(ecswire.ErrConflictException, fmt.Sprintf(format, args...))
}
