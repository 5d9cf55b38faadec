package ecs

import (
	"strings"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
)

// DefaultCluster is used when a request names no cluster.
const DefaultCluster = "default"

// clusterName turns a cluster name or ARN into a name ("" → default).
func clusterName(ref string) (string, error) {
	if ref == "" {
		return DefaultCluster, nil
	}
	if !arn.IsARN(ref) {
		return ref, nil
	}
	a, err := arn.Parse(ref)
	if err != nil || a.Type() != "cluster" {
		return "", invalidParameter("Invalid cluster ARN: %s", ref)
	}
	return strings.TrimPrefix(a.Resource, "cluster/"), nil
}

// activeCluster resolves a cluster reference to an ACTIVE cluster or
// ClusterNotFoundException.
func (h *Handler) activeCluster(ref string) (*model.Cluster, error) {
	name, err := clusterName(ref)
	if err != nil {
		return nil, err
	}
	c, ok := h.st.ActiveCluster(name)
	if !ok {
		return nil, clusterNotFound()
	}
	return c, nil
}

// instanceID turns a container instance id or ARN into an id, checking that
// an ARN belongs to the given cluster.
func instanceID(ref, cluster string) (string, bool) {
	if !arn.IsARN(ref) {
		return ref, ref != "" && !strings.Contains(ref, "/")
	}
	a, err := arn.Parse(ref)
	if err != nil || a.Type() != "container-instance" {
		return "", false
	}
	parts := strings.Split(a.Resource, "/")
	if len(parts) != 3 || parts[1] != cluster {
		return "", false
	}
	return parts[2], true
}
