package ecs

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// CreateCluster creates a cluster, or returns the ACTIVE one of that name.
func (h *Handler) CreateCluster(ctx context.Context, in *ecswire.CreateClusterRequest) (*ecswire.CreateClusterResponse, error) {
	name := in.ClusterName
	if name == "" {
		name = DefaultCluster
	}
	if !validName(name) {
		return nil, invalidParameter("Cluster name can have a maximum of 255 characters and may contain only letters (uppercase and lowercase), numbers, hyphens, and underscores.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	settings, err := h.clusterSettings(in.Settings, true)
	if err != nil {
		return nil, err
	}
	if err := checkStrategy(in.DefaultCapacityProviderStrategy, in.CapacityProviders); err != nil {
		return nil, err
	}
	c := model.Cluster{
		Name:                            name,
		Settings:                        settings,
		Tags:                            tagsFromWire(in.Tags),
		CapacityProviders:               in.CapacityProviders,
		DefaultCapacityProviderStrategy: strategyFromWire(in.DefaultCapacityProviderStrategy),
		Configuration:                   passthrough(in.Configuration),
	}
	if in.ServiceConnectDefaults != nil {
		c.ServiceConnectDefaults = passthrough(&ecswire.ClusterServiceConnectDefaults{Namespace: in.ServiceConnectDefaults.Namespace})
	}
	created, err := h.st.CreateCluster(ctx, c)
	if err != nil {
		return nil, mapStateError(err)
	}
	return &ecswire.CreateClusterResponse{Cluster: h.clusterToWire(created, allClusterFields)}, nil
}

var allClusterFields = map[ecswire.ClusterField]bool{
	ecswire.ClusterFieldSettings: true, ecswire.ClusterFieldTags: true, ecswire.ClusterFieldConfigurations: true,
}

// DescribeClusters describes clusters by name or ARN; unknown ones are
// reported in failures with reason MISSING.
func (h *Handler) DescribeClusters(_ context.Context, in *ecswire.DescribeClustersRequest) (*ecswire.DescribeClustersResponse, error) {
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{DefaultCluster}
	}
	if len(refs) > 100 {
		return nil, invalidParameter("clusters can have at most 100 items.")
	}
	include := make(map[ecswire.ClusterField]bool)
	for _, f := range in.Include {
		include[f] = true
	}
	out := &ecswire.DescribeClustersResponse{Clusters: []ecswire.Cluster{}, Failures: []ecswire.Failure{}}
	for _, ref := range refs {
		name, err := clusterName(ref)
		if err != nil {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: ref, Reason: "MISSING"})
			continue
		}
		c, ok := h.st.Cluster(name)
		if !ok {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: h.st.ARNs.Cluster(name), Reason: "MISSING"})
			continue
		}
		out.Clusters = append(out.Clusters, *h.clusterToWire(c, include))
	}
	return out, nil
}

// ListClusters lists the ARNs of ACTIVE clusters.
func (h *Handler) ListClusters(_ context.Context, in *ecswire.ListClustersRequest) (*ecswire.ListClustersResponse, error) {
	var names []string
	for _, c := range h.st.Clusters() {
		if c.Status == model.ClusterActive {
			names = append(names, c.Name)
		}
	}
	page, next, err := paginate("ListClusters", names, in.MaxResults, in.NextToken, defaultPageSize)
	if err != nil {
		return nil, err
	}
	out := &ecswire.ListClustersResponse{ClusterArns: []string{}, NextToken: next}
	for _, n := range page {
		out.ClusterArns = append(out.ClusterArns, h.st.ARNs.Cluster(n))
	}
	return out, nil
}

// UpdateCluster changes settings, configuration and service connect defaults.
func (h *Handler) UpdateCluster(ctx context.Context, in *ecswire.UpdateClusterRequest) (*ecswire.UpdateClusterResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	settings, err := h.clusterSettings(in.Settings, false)
	if err != nil {
		return nil, err
	}
	updated, err := h.st.UpdateCluster(ctx, c.Name, func(c *model.Cluster) error {
		c.Settings = mergeSettings(c.Settings, settings)
		if in.Configuration != nil {
			c.Configuration = passthrough(in.Configuration)
		}
		if in.ServiceConnectDefaults != nil {
			c.ServiceConnectDefaults = passthrough(&ecswire.ClusterServiceConnectDefaults{Namespace: in.ServiceConnectDefaults.Namespace})
		}
		return nil
	})
	if err != nil {
		return nil, h.clusterUpdateError(err)
	}
	return &ecswire.UpdateClusterResponse{Cluster: h.clusterToWire(updated, allClusterFields)}, nil
}

// UpdateClusterSettings changes cluster settings (containerInsights).
func (h *Handler) UpdateClusterSettings(ctx context.Context, in *ecswire.UpdateClusterSettingsRequest) (*ecswire.UpdateClusterSettingsResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	settings, err := h.clusterSettings(in.Settings, false)
	if err != nil {
		return nil, err
	}
	updated, err := h.st.UpdateCluster(ctx, c.Name, func(c *model.Cluster) error {
		c.Settings = mergeSettings(c.Settings, settings)
		return nil
	})
	if err != nil {
		return nil, h.clusterUpdateError(err)
	}
	return &ecswire.UpdateClusterSettingsResponse{Cluster: h.clusterToWire(updated, allClusterFields)}, nil
}

// PutClusterCapacityProviders replaces the cluster's capacity providers and
// default strategy.
func (h *Handler) PutClusterCapacityProviders(ctx context.Context, in *ecswire.PutClusterCapacityProvidersRequest) (*ecswire.PutClusterCapacityProvidersResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if err := checkStrategy(in.DefaultCapacityProviderStrategy, in.CapacityProviders); err != nil {
		return nil, err
	}
	updated, err := h.st.UpdateCluster(ctx, c.Name, func(c *model.Cluster) error {
		c.CapacityProviders = slices.Clone(in.CapacityProviders)
		c.DefaultCapacityProviderStrategy = strategyFromWire(in.DefaultCapacityProviderStrategy)
		return nil
	})
	if err != nil {
		return nil, h.clusterUpdateError(err)
	}
	return &ecswire.PutClusterCapacityProvidersResponse{Cluster: h.clusterToWire(updated, allClusterFields)}, nil
}

// DeleteCluster marks an empty cluster INACTIVE.
func (h *Handler) DeleteCluster(ctx context.Context, in *ecswire.DeleteClusterRequest) (*ecswire.DeleteClusterResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if err := h.retireLocalInstances(ctx, c.Name); err != nil {
		return nil, err
	}
	deleted, err := h.st.DeleteCluster(ctx, c.Name)
	if err != nil {
		return nil, h.clusterUpdateError(err)
	}
	return &ecswire.DeleteClusterResponse{Cluster: h.clusterToWire(deleted, allClusterFields)}, nil
}

// retireLocalInstances deregisters the instances that wharf's own local
// agent registered in a cluster about to be deleted, when nothing else
// holds the cluster: they exist so that tasks run out of the box, and must
// not keep users from deleting a cluster. Instances of other agents still
// block the deletion, as in ECS.
func (h *Handler) retireLocalInstances(ctx context.Context, cluster string) error {
	n := h.st.Counts(cluster)
	if n.ActiveTasks > 0 || n.ActiveServices+n.DrainingServices > 0 {
		return nil
	}
	var local []string
	for _, ci := range h.st.Instances(cluster) {
		if ci.Status == model.InstanceInactive {
			continue
		}
		if v, _ := ci.Attribute(localAgentAttribute); v != "true" {
			return nil // a real instance: let DeleteCluster refuse
		}
		local = append(local, ci.ID)
	}
	for _, id := range local {
		if _, err := h.st.DeregisterInstance(ctx, cluster, id); err != nil && !errorsIsNotFound(err) {
			return mapStateError(err)
		}
	}
	return nil
}

// localAgentAttribute marks instances of the server's in-process agent
// (agent.AttrLocalAgent; the API does not import the agent).
const localAgentAttribute = "wharf.local-agent"

func (h *Handler) clusterUpdateError(err error) error {
	if errorsIsNotFound(err) {
		return clusterNotFound()
	}
	return mapStateError(err)
}

// Cluster settings: containerInsights is the only one ECS defines.
var containerInsightsValues = []string{"enabled", "disabled", "enhanced"}

// clusterSettings validates settings; with defaults it fills in the
// account's containerInsights default for a new cluster.
func (h *Handler) clusterSettings(in []ecswire.ClusterSetting, defaults bool) ([]model.KeyValue, error) {
	var out []model.KeyValue
	for i, s := range in {
		if s.Name != ecswire.ClusterSettingNameContainerInsights {
			return nil, invalidParameter("settings[%d].name must be containerInsights.", i)
		}
		if !slices.Contains(containerInsightsValues, s.Value) {
			return nil, invalidParameter("settings[%d].value must be one of enabled, disabled, enhanced.", i)
		}
		out = mergeSettings(out, []model.KeyValue{{Name: string(s.Name), Value: s.Value}})
	}
	if defaults && len(out) == 0 {
		value := "disabled"
		if s, ok := h.st.AccountSetting("", string(ecswire.SettingNameContainerInsights)); ok {
			value = s.Value
		}
		out = []model.KeyValue{{Name: string(ecswire.ClusterSettingNameContainerInsights), Value: value}}
	}
	return out, nil
}

func mergeSettings(old, upd []model.KeyValue) []model.KeyValue {
	out := slices.Clone(old)
	for _, u := range upd {
		i := slices.IndexFunc(out, func(kv model.KeyValue) bool { return kv.Name == u.Name })
		if i >= 0 {
			out[i] = u
		} else {
			out = append(out, u)
		}
	}
	return out
}

func checkStrategy(items []ecswire.CapacityProviderStrategyItem, providers []string) error {
	if len(items) > 20 {
		return invalidParameter("defaultCapacityProviderStrategy can have at most 20 items.")
	}
	bases := 0
	seen := map[string]bool{}
	for i, it := range items {
		if seen[it.CapacityProvider] {
			return invalidParameter("defaultCapacityProviderStrategy[%d]: capacity provider %s is listed more than once.", i, it.CapacityProvider)
		}
		seen[it.CapacityProvider] = true
		if it.Base > 0 {
			bases++
		}
		if len(providers) > 0 && !slices.Contains(providers, it.CapacityProvider) {
			return invalidParameter("defaultCapacityProviderStrategy[%d]: capacity provider %s is not associated with the cluster.", i, it.CapacityProvider)
		}
	}
	if bases > 1 {
		return invalidParameter("defaultCapacityProviderStrategy: only one capacity provider can have a base value.")
	}
	return nil
}

func strategyFromWire(in []ecswire.CapacityProviderStrategyItem) []model.CapacityProviderStrategyItem {
	var out []model.CapacityProviderStrategyItem
	for _, it := range in {
		out = append(out, model.CapacityProviderStrategyItem{CapacityProvider: it.CapacityProvider, Weight: it.Weight, Base: it.Base})
	}
	return out
}

func strategyToWire(in []model.CapacityProviderStrategyItem) []ecswire.CapacityProviderStrategyItem {
	var out []ecswire.CapacityProviderStrategyItem
	for _, it := range in {
		out = append(out, ecswire.CapacityProviderStrategyItem{CapacityProvider: it.CapacityProvider, Weight: it.Weight, Base: it.Base})
	}
	return out
}

func (h *Handler) clusterToWire(c *model.Cluster, include map[ecswire.ClusterField]bool) *ecswire.Cluster {
	n := h.st.Counts(c.Name)
	out := &ecswire.Cluster{
		ClusterArn:                        c.ARN,
		ClusterName:                       c.Name,
		Status:                            c.Status,
		RegisteredContainerInstancesCount: n.RegisteredInstances,
		RunningTasksCount:                 n.RunningTasks,
		PendingTasksCount:                 n.PendingTasks,
		ActiveServicesCount:               n.ActiveServices,
		CapacityProviders:                 c.CapacityProviders,
		DefaultCapacityProviderStrategy:   strategyToWire(c.DefaultCapacityProviderStrategy),
	}
	if c.ServiceConnectDefaults != nil {
		out.ServiceConnectDefaults = new(ecswire.ClusterServiceConnectDefaults)
		_ = json.Unmarshal(c.ServiceConnectDefaults, out.ServiceConnectDefaults)
	}
	if include[ecswire.ClusterFieldSettings] {
		for _, s := range c.Settings {
			out.Settings = append(out.Settings, ecswire.ClusterSetting{Name: ecswire.ClusterSettingName(s.Name), Value: s.Value})
		}
	}
	if include[ecswire.ClusterFieldTags] {
		out.Tags = tagsToWire(c.Tags)
	}
	if include[ecswire.ClusterFieldConfigurations] && c.Configuration != nil {
		out.Configuration = new(ecswire.ClusterConfiguration)
		_ = json.Unmarshal(c.Configuration, out.Configuration)
	}
	if include[ecswire.ClusterFieldStatistics] {
		out.Statistics = clusterStatistics(n)
	}
	return out
}

// clusterStatistics reports counters in ECS's statistics shape. Every task
// and service in wharf runs on EC2-style capacity unless it asked for
// FARGATE; until tasks exist everything counts as EC2.
func clusterStatistics(n state.ClusterCounts) []ecswire.KeyValuePair {
	kv := func(k string, v int32) ecswire.KeyValuePair {
		return ecswire.KeyValuePair{Name: k, Value: strconv.Itoa(int(v))}
	}
	return []ecswire.KeyValuePair{
		kv("runningEC2TasksCount", n.RunningTasks),
		kv("runningFargateTasksCount", 0),
		kv("pendingEC2TasksCount", n.PendingTasks),
		kv("pendingFargateTasksCount", 0),
		kv("runningExternalTasksCount", 0),
		kv("pendingExternalTasksCount", 0),
		kv("activeEC2ServiceCount", n.ActiveServices),
		kv("activeFargateServiceCount", 0),
		kv("drainingEC2ServiceCount", 0),
		kv("drainingFargateServiceCount", 0),
		kv("activeExternalServiceCount", 0),
		kv("drainingExternalServiceCount", 0),
	}
}

// passthrough stores a wire sub-structure verbatim (nil stays nil).
func passthrough[T any](v *T) model.Passthrough {
	if v == nil {
		return nil
	}
	buf, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return buf
}

// validName reports whether s is a valid ECS resource name:
// 1–255 letters, digits, hyphens and underscores.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
