package ecs

import (
	"strconv"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
)

// taskToWire merges a task's spec with its observed state into ECS's Task.
func (h *Handler) taskToWire(t *model.Task, withTags bool) *ecswire.Task {
	st, _ := h.st.TaskState(t.ClusterName, t.ID)
	if st == nil {
		st = &model.TaskState{LastStatus: model.TaskProvisioning}
	}
	out := &ecswire.Task{
		TaskArn:              t.ARN,
		ClusterArn:           t.ClusterARN,
		TaskDefinitionArn:    t.TaskDefinitionARN,
		ContainerInstanceArn: t.ContainerInstanceARN,
		CapacityProviderName: t.CapacityProviderName,
		LaunchType:           ecswire.LaunchType(t.LaunchType),
		AvailabilityZone:     t.AvailabilityZone,
		Group:                t.Group,
		StartedBy:            t.StartedBy,
		Cpu:                  t.CPU,
		Memory:               t.Memory,
		LastStatus:           lastStatus(t, st),
		DesiredStatus:        effectiveDesired(t, h.st),
		HealthStatus:         ecswire.HealthStatus(orUnknown(st.HealthStatus)),
		Connectivity:         ecswire.ConnectivityConnected,
		EnableExecuteCommand: t.EnableExecuteCommand,
		CreatedAt:            awsjson.NewTimestamp(t.CreatedAt),
		PullStartedAt:        awsjson.NewTimestamp(st.PullStartedAt),
		PullStoppedAt:        awsjson.NewTimestamp(st.PullStoppedAt),
		StartedAt:            awsjson.NewTimestamp(st.StartedAt),
		ConnectivityAt:       awsjson.NewTimestamp(st.ConnectivityAt),
		StoppingAt:           awsjson.NewTimestamp(st.StoppingAt),
		ExecutionStoppedAt:   awsjson.NewTimestamp(st.ExecutionStoppedAt),
		StoppedAt:            awsjson.NewTimestamp(st.StoppedAt),
		Version:              st.Version + 1,
		Overrides:            overridesToWire(t.Overrides),
	}
	if out.ConnectivityAt == nil {
		out.ConnectivityAt = out.CreatedAt
	}
	// The first stop reason wins: a stop the agent decided on its own
	// (essential exit, failed start) or the one the API asked for.
	switch {
	case st.StopCode != "":
		out.StopCode, out.StoppedReason = ecswire.TaskStopCode(st.StopCode), st.StoppedReason
	case t.DesiredStatus == model.DesiredStopped || !t.DrainStartedAt.IsZero():
		out.StopCode, out.StoppedReason = ecswire.TaskStopCode(t.StopCode), t.StoppedReason
	}
	if withTags {
		out.Tags = tagsToWire(t.Tags)
		if out.Tags == nil {
			out.Tags = []ecswire.Tag{}
		}
	}
	td, _ := h.st.TaskDefinition(t.Family, t.Revision)
	observed := map[string]model.ContainerState{}
	for _, c := range st.Containers {
		observed[c.Name] = c
	}
	if td != nil {
		for _, cd := range td.ContainerDefinitions {
			out.Containers = append(out.Containers, taskContainerToWire(t, cd, observed[cd.Name], st))
		}
		if td.NetworkMode == model.NetworkAwsvpc {
			out.Attachments = []ecswire.Attachment{eniAttachment(t, st)}
		}
	}
	return out
}

// lastStatus is the status ECS reports: a running task whose load
// balancer targets are draining before it stops is DEACTIVATING.
func lastStatus(t *model.Task, st *model.TaskState) string {
	if !t.DrainStartedAt.IsZero() && st.LastStatus == model.TaskRunning {
		return model.TaskDeactivating.String()
	}
	return st.LastStatus.String()
}

func orUnknown(s string) string {
	if s == "" {
		return model.HealthUnknown
	}
	return s
}

func taskContainerToWire(t *model.Task, cd model.ContainerDefinition, c model.ContainerState, st *model.TaskState) ecswire.Container {
	out := ecswire.Container{
		ContainerArn: containerARN(t, cd.Name),
		TaskArn:      t.ARN,
		Name:         cd.Name,
		Image:        cd.Image,
		ImageDigest:  c.ImageDigest,
		RuntimeId:    c.RuntimeID,
		LastStatus:   c.LastStatus.String(),
		Reason:       c.Reason,
		HealthStatus: ecswire.HealthStatus(orUnknown(c.HealthStatus)),
		Cpu:          strconv.Itoa(int(cd.CPU)),
	}
	if c.LastStatus == 0 {
		out.LastStatus = "PENDING"
	}
	if c.ExitCode != nil {
		code := *c.ExitCode
		out.ExitCode = &code
	}
	if cd.Memory != nil {
		out.Memory = strconv.Itoa(int(*cd.Memory))
	}
	if cd.MemoryReservation != nil {
		out.MemoryReservation = strconv.Itoa(int(*cd.MemoryReservation))
	}
	for _, b := range c.NetworkBindings {
		cp, hp := b.ContainerPort, b.HostPort
		out.NetworkBindings = append(out.NetworkBindings, ecswire.NetworkBinding{
			BindIP: b.BindIP, ContainerPort: &cp, HostPort: &hp, Protocol: ecswire.TransportProtocol(b.Protocol)})
	}
	if st.PrivateIPv4 != "" {
		out.NetworkInterfaces = []ecswire.NetworkInterface{{AttachmentId: eniID(t), PrivateIpv4Address: st.PrivateIPv4}}
	}
	return out
}

// containerARN derives a stable container ARN from the task and name.
func containerARN(t *model.Task, name string) string {
	h := uint64(14695981039346656037)
	for _, b := range []byte(t.ID + "/" + name) {
		h = (h ^ uint64(b)) * 1099511628211
	}
	hex := strconv.FormatUint(h, 16)
	for len(hex) < 16 {
		hex = "0" + hex
	}
	uuid := t.ID[:8] + "-" + t.ID[8:12] + "-" + t.ID[12:16] + "-" + hex[:4] + "-" + hex[4:16]
	a := t.ARN
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] == ':' {
			return a[:i+1] + "container/" + t.ClusterName + "/" + t.ID + "/" + uuid
		}
	}
	return a
}

func eniID(t *model.Task) string { return "eni-attach-" + t.ID[:17] }

// eniAttachment reports an awsvpc task's network namespace as ECS reports
// its elastic network interface.
func eniAttachment(t *model.Task, st *model.TaskState) ecswire.Attachment {
	status := "PRECREATED"
	switch {
	case st.LastStatus >= model.TaskStopped:
		status = "DELETED"
	case st.PrivateIPv4 != "":
		status = "ATTACHED"
	}
	a := ecswire.Attachment{Id: eniID(t), Type: "ElasticNetworkInterface", Status: status}
	details := []ecswire.KeyValuePair{{Name: "networkInterfaceId", Value: "eni-" + t.ID[:17]}}
	if st.MACAddress != "" {
		details = append(details, ecswire.KeyValuePair{Name: "macAddress", Value: st.MACAddress})
	}
	if st.PrivateIPv4 != "" {
		details = append(details, ecswire.KeyValuePair{Name: "privateIPv4Address", Value: st.PrivateIPv4})
	}
	a.Details = details
	return a
}

func overridesToWire(ov model.TaskOverrides) *ecswire.TaskOverride {
	out := &ecswire.TaskOverride{Cpu: ov.CPU, Memory: ov.Memory, TaskRoleArn: ov.TaskRoleARN,
		ExecutionRoleArn: ov.ExecutionRoleARN, ContainerOverrides: []ecswire.ContainerOverride{}}
	for _, co := range ov.ContainerOverrides {
		w := ecswire.ContainerOverride{Name: co.Name, Command: co.Command, Cpu: co.CPU, Memory: co.Memory, MemoryReservation: co.MemoryReservation}
		for _, e := range co.Environment {
			w.Environment = append(w.Environment, ecswire.KeyValuePair{Name: e.Name, Value: e.Value})
		}
		out.ContainerOverrides = append(out.ContainerOverrides, w)
	}
	return out
}
