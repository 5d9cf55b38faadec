package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/tasks"
)

// RegisterContainerInstance registers a host as a container instance of a
// cluster. Given the ARN of an instance already registered in the cluster,
// it re-registers that instance and keeps its ARN (an agent restarting).
// The default cluster is created on first use, as ECS does.
func (h *Handler) RegisterContainerInstance(ctx context.Context, in *ecswire.RegisterContainerInstanceRequest) (*ecswire.RegisterContainerInstanceResponse, error) {
	name, err := clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	c, ok := h.st.ActiveCluster(name)
	if !ok && name == DefaultCluster {
		if c, err = h.st.CreateCluster(ctx, model.Cluster{Name: DefaultCluster}); err != nil {
			return nil, mapStateError(err)
		}
	} else if !ok {
		return nil, clusterNotFound()
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	resources, err := resourcesFromWire(in.TotalResources)
	if err != nil {
		return nil, err
	}
	id := arn.NewID()
	if in.ContainerInstanceArn != "" {
		existing, ok := instanceID(in.ContainerInstanceArn, c.Name)
		if !ok {
			return nil, invalidParameter("containerInstanceArn %s is not a container instance of cluster %s.", in.ContainerInstanceArn, c.Name)
		}
		id = existing
	}
	attrs := make([]model.Attribute, 0, len(in.Attributes))
	for i, a := range in.Attributes {
		if err := checkAttributeName(fmt.Sprintf("attributes[%d].name", i), a.Name); err != nil {
			return nil, err
		}
		attrs = setAttribute(attrs, model.Attribute{Name: a.Name, Value: a.Value})
	}
	ci := model.ContainerInstance{
		ARN:                 h.st.ARNs.ContainerInstance(c.Name, id),
		ID:                  id,
		ClusterARN:          c.ARN,
		EC2InstanceID:       ec2InstanceID(in.InstanceIdentityDocument, id),
		Status:              model.InstanceActive,
		AgentConnected:      true,
		RegisteredResources: resources,
		Attributes:          attrs,
		Tags:                tagsFromWire(in.Tags),
		LastHeartbeat:       h.st.Now(),
	}
	if in.VersionInfo != nil {
		ci.VersionInfo = model.VersionInfo{AgentVersion: in.VersionInfo.AgentVersion, AgentHash: in.VersionInfo.AgentHash, DockerVersion: in.VersionInfo.DockerVersion}
	}
	stored, err := h.st.RegisterInstance(ctx, c.Name, ci)
	if err != nil {
		return nil, mapStateError(err)
	}
	return &ecswire.RegisterContainerInstanceResponse{ContainerInstance: h.instanceToWire(stored, true)}, nil
}

// ec2InstanceID takes the instance id from an EC2 identity document when
// one is given, and otherwise derives a stable EC2-style id.
func ec2InstanceID(doc, id string) string {
	var d struct {
		InstanceID string `json:"instanceId"`
	}
	if doc != "" && json.Unmarshal([]byte(doc), &d) == nil && d.InstanceID != "" {
		return d.InstanceID
	}
	return "i-" + id[:17]
}

func resourcesFromWire(in []ecswire.Resource) ([]model.Resource, error) {
	var out []model.Resource
	for i, r := range in {
		switch r.Name {
		case "CPU", "MEMORY", "GPU":
			if r.Type != "" && r.Type != "INTEGER" && r.Name != "GPU" {
				return nil, invalidParameter("totalResources[%d].type must be INTEGER for %s.", i, r.Name)
			}
			if r.IntegerValue < 0 {
				return nil, invalidParameter("totalResources[%d].integerValue must not be negative.", i)
			}
			t := r.Type
			if t == "" {
				t = "INTEGER"
			}
			out = append(out, model.Resource{Name: r.Name, Type: t, IntegerValue: r.IntegerValue, StringSetValue: r.StringSetValue})
		case "PORTS", "PORTS_UDP":
			for _, p := range r.StringSetValue {
				if !validPort(p) {
					return nil, invalidParameter("totalResources[%d].stringSetValue contains an invalid port %q.", i, p)
				}
			}
			out = append(out, model.Resource{Name: r.Name, Type: "STRINGSET", StringSetValue: slices.Clone(r.StringSetValue)})
		default:
			out = append(out, model.Resource{Name: r.Name, Type: r.Type, IntegerValue: r.IntegerValue,
				LongValue: r.LongValue, DoubleValue: r.DoubleValue, StringSetValue: r.StringSetValue})
		}
	}
	return out, nil
}

func validPort(s string) bool {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return false
		}
	}
	return s != ""
}

// DeregisterContainerInstance removes an instance from its cluster.
// Without force it refuses an instance that still runs tasks.
func (h *Handler) DeregisterContainerInstance(ctx context.Context, in *ecswire.DeregisterContainerInstanceRequest) (*ecswire.DeregisterContainerInstanceResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	id, ok := instanceID(in.ContainerInstance, c.Name)
	if !ok {
		return nil, invalidParameter("containerInstance %s is not a valid container instance id or ARN of cluster %s.", in.ContainerInstance, c.Name)
	}
	if ci, ok := h.st.Instance(c.Name, id); !ok || ci.Status == model.InstanceInactive {
		return nil, invalidParameter("Container instance %s not found.", in.ContainerInstance)
	}
	if u := tasks.NewView(h.st, c.Name).Usage()[id]; u != nil && !boolValue(in.Force) {
		return nil, invalidParameter("Found running tasks on the instance.")
	}
	ci, err := h.st.DeregisterInstance(ctx, c.Name, id)
	if err != nil {
		if errorsIsNotFound(err) {
			return nil, invalidParameter("Container instance %s not found.", in.ContainerInstance)
		}
		return nil, mapStateError(err)
	}
	return &ecswire.DeregisterContainerInstanceResponse{ContainerInstance: h.instanceToWire(ci, false)}, nil
}

// DescribeContainerInstances describes instances of one cluster.
func (h *Handler) DescribeContainerInstances(_ context.Context, in *ecswire.DescribeContainerInstancesRequest) (*ecswire.DescribeContainerInstancesResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.ContainerInstances) > 100 {
		return nil, invalidParameter("containerInstances can have at most 100 items.")
	}
	withTags := slices.Contains(in.Include, ecswire.ContainerInstanceFieldTags)
	out := &ecswire.DescribeContainerInstancesResponse{ContainerInstances: []ecswire.ContainerInstance{}, Failures: []ecswire.Failure{}}
	for _, ref := range in.ContainerInstances {
		id, ok := instanceID(ref, c.Name)
		var ci *model.ContainerInstance
		if ok {
			ci, ok = h.st.Instance(c.Name, id)
		}
		if !ok {
			failArn := ref
			if !arn.IsARN(ref) {
				failArn = h.st.ARNs.ContainerInstance(c.Name, ref)
			}
			out.Failures = append(out.Failures, ecswire.Failure{Arn: failArn, Reason: "MISSING"})
			continue
		}
		out.ContainerInstances = append(out.ContainerInstances, *h.instanceToWire(ci, withTags))
	}
	return out, nil
}

// ListContainerInstances lists instance ARNs, optionally filtered by status
// and by a cluster query language expression.
func (h *Handler) ListContainerInstances(_ context.Context, in *ecswire.ListContainerInstancesRequest) (*ecswire.ListContainerInstancesResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	match, err := instanceFilter(in.Filter)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ci := range h.st.Instances(c.Name) {
		if in.Status != "" && ci.Status != string(in.Status) {
			continue
		}
		if in.Status == "" && ci.Status == model.InstanceInactive {
			continue
		}
		if match != nil && !match(ci) {
			continue
		}
		ids = append(ids, ci.ID)
	}
	page, next, err := paginate("ListContainerInstances", ids, in.MaxResults, in.NextToken, defaultPageSize)
	if err != nil {
		return nil, err
	}
	out := &ecswire.ListContainerInstancesResponse{ContainerInstanceArns: []string{}, NextToken: next}
	for _, id := range page {
		out.ContainerInstanceArns = append(out.ContainerInstanceArns, h.st.ARNs.ContainerInstance(c.Name, id))
	}
	return out, nil
}

// UpdateContainerInstancesState moves instances between ACTIVE and DRAINING.
func (h *Handler) UpdateContainerInstancesState(ctx context.Context, in *ecswire.UpdateContainerInstancesStateRequest) (*ecswire.UpdateContainerInstancesStateResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.Status != ecswire.ContainerInstanceStatusActive && in.Status != ecswire.ContainerInstanceStatusDraining {
		return nil, invalidParameter("status must be ACTIVE or DRAINING.")
	}
	if len(in.ContainerInstances) > 10 {
		return nil, invalidParameter("containerInstances can have at most 10 items.")
	}
	out := &ecswire.UpdateContainerInstancesStateResponse{ContainerInstances: []ecswire.ContainerInstance{}, Failures: []ecswire.Failure{}}
	for _, ref := range in.ContainerInstances {
		id, ok := instanceID(ref, c.Name)
		var cur *model.ContainerInstance
		if ok {
			cur, ok = h.st.Instance(c.Name, id)
		}
		if !ok || cur.Status == model.InstanceInactive {
			failArn := ref
			if !arn.IsARN(ref) {
				failArn = h.st.ARNs.ContainerInstance(c.Name, ref)
			}
			out.Failures = append(out.Failures, ecswire.Failure{Arn: failArn, Reason: "MISSING"})
			continue
		}
		if cur.Status != model.InstanceActive && cur.Status != model.InstanceDraining {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: cur.ARN, Reason: "INVALID_STATE",
				Detail: "Container instance is " + cur.Status + "."})
			continue
		}
		ci, err := h.st.UpdateInstance(ctx, c.Name, id, func(ci *model.ContainerInstance) error {
			ci.Status = string(in.Status)
			return nil
		})
		if err != nil {
			return nil, mapStateError(err)
		}
		out.ContainerInstances = append(out.ContainerInstances, *h.instanceToWire(ci, false))
	}
	return out, nil
}

func (h *Handler) instanceToWire(ci *model.ContainerInstance, withTags bool) *ecswire.ContainerInstance {
	out := &ecswire.ContainerInstance{
		ContainerInstanceArn: ci.ARN,
		Ec2InstanceId:        ci.EC2InstanceID,
		Status:               ci.Status,
		StatusReason:         ci.StatusReason,
		Version:              ci.Version,
		RegisteredAt:         awsjson.NewTimestamp(ci.RegisteredAt),
		CapacityProviderName: ci.CapacityProviderName,
		VersionInfo: &ecswire.VersionInfo{AgentVersion: ci.VersionInfo.AgentVersion,
			AgentHash: ci.VersionInfo.AgentHash, DockerVersion: ci.VersionInfo.DockerVersion},
		RegisteredResources: resourcesToWire(ci.RegisteredResources),
		AgentConnected:      tasks.Connected(h.st, ci, h.st.Now()),
	}
	u := tasks.NewView(h.st, clusterFromARN(ci.ClusterARN)).Usage()[ci.ID]
	out.RemainingResources = resourcesToWire(tasks.Remaining(ci, u))
	if u != nil {
		out.RunningTasksCount, out.PendingTasksCount = u.RunningTasks, u.PendingTasks
	}
	for _, a := range ci.Attributes {
		out.Attributes = append(out.Attributes, ecswire.Attribute{Name: a.Name, Value: a.Value})
	}
	if withTags {
		out.Tags = tagsToWire(ci.Tags)
	}
	return out
}

func clusterFromARN(a string) string {
	if i := strings.LastIndexByte(a, '/'); i >= 0 {
		return a[i+1:]
	}
	return a
}

func resourcesToWire(in []model.Resource) []ecswire.Resource {
	out := make([]ecswire.Resource, 0, len(in))
	for _, r := range in {
		out = append(out, ecswire.Resource{Name: r.Name, Type: r.Type, IntegerValue: r.IntegerValue,
			LongValue: r.LongValue, DoubleValue: r.DoubleValue, StringSetValue: r.StringSetValue})
	}
	return out
}

// instanceFilter compiles a ListContainerInstances filter expression.
func instanceFilter(expr string) (func(*model.ContainerInstance) bool, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, nil
	}
	return compileInstanceFilter(expr)
}

// boolValue reads an optional boolean (nil is false).
func boolValue(b *bool) bool { return b != nil && *b }
