package state

import (
	"context"
	"errors"
	"fmt"

	"github.com/wharfhq/wharf/internal/model"
)

// Errors returned by DeleteCluster while the cluster still holds resources.
var (
	ErrClusterHasInstances = fmt.Errorf("cluster contains container instances: %w", ErrInUse)
	ErrClusterHasServices  = fmt.Errorf("cluster contains services: %w", ErrInUse)
	ErrClusterHasTasks     = fmt.Errorf("cluster contains tasks: %w", ErrInUse)
)

func clusterKey(name string) string { return prefixClusters + name }

// CreateCluster creates an ACTIVE cluster. Creating a cluster whose name is
// already ACTIVE returns the existing cluster unchanged (ECS is idempotent
// here); an INACTIVE cluster of that name is replaced by a new one.
func (s *State) CreateCluster(ctx context.Context, c model.Cluster) (*model.Cluster, error) {
	c.ARN = s.ARNs.Cluster(c.Name)
	c.Status = model.ClusterActive
	c.CreatedAt = s.now()
	for {
		err := create(ctx, s, clusterKey(c.Name), &c)
		if err == nil {
			return &c, nil
		}
		if !errors.Is(err, ErrExists) {
			return nil, err
		}
		existing, err := mutate(ctx, s, clusterKey(c.Name), func(old *model.Cluster) error {
			if old.Status != model.ClusterActive {
				*old = c
			}
			return nil
		})
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile; try to create again
		}
		if err != nil {
			return nil, err
		}
		return existing, nil
	}
}

// Cluster returns a cluster by name, ACTIVE or INACTIVE.
func (s *State) Cluster(name string) (*model.Cluster, bool) {
	c, _, ok := get[model.Cluster](s, clusterKey(name))
	return c, ok
}

// ActiveCluster returns an ACTIVE cluster by name.
func (s *State) ActiveCluster(name string) (*model.Cluster, bool) {
	c, ok := s.Cluster(name)
	if !ok || c.Status != model.ClusterActive {
		return nil, false
	}
	return c, true
}

// Clusters returns all clusters sorted by name.
func (s *State) Clusters() []*model.Cluster { return list[model.Cluster](s, prefixClusters) }

// UpdateCluster applies fn to an ACTIVE cluster.
func (s *State) UpdateCluster(ctx context.Context, name string, fn func(*model.Cluster) error) (*model.Cluster, error) {
	return mutate(ctx, s, clusterKey(name), func(c *model.Cluster) error {
		if c.Status != model.ClusterActive {
			return fmt.Errorf("cluster %s: %w", name, ErrNotFound)
		}
		return fn(c)
	})
}

// ClusterCounts are the live counters ECS reports for a cluster.
type ClusterCounts struct {
	RegisteredInstances int32
	RunningTasks        int32
	PendingTasks        int32
	ActiveServices      int32
	DrainingServices    int32
	// ActiveTasks counts tasks that are not STOPPED yet.
	ActiveTasks int32
}

// Counts computes a cluster's counters from the current state.
func (s *State) Counts(name string) ClusterCounts {
	var n ClusterCounts
	for _, ci := range s.Instances(name) {
		if ci.Status == model.InstanceActive || ci.Status == model.InstanceDraining {
			n.RegisteredInstances++
		}
	}
	for _, svc := range s.Services(name) {
		st, ok := s.ServiceState(name, svc.Name)
		switch {
		case svc.Status == model.ServiceActive:
			n.ActiveServices++
		case svc.Status == model.ServiceDraining && (!ok || !st.Inactive):
			n.DrainingServices++
		}
	}
	for _, t := range s.Tasks(name) {
		switch st := s.ObservedStatus(t); {
		case st == model.TaskRunning:
			n.RunningTasks++
		case st < model.TaskRunning && t.DesiredStatus == model.DesiredRunning:
			n.PendingTasks++
		}
		if st := s.ObservedStatus(t); st < model.TaskStopped {
			n.ActiveTasks++
		}
	}
	return n
}

// DeleteCluster marks an empty cluster INACTIVE. It fails while the cluster
// holds registered instances, services or tasks.
func (s *State) DeleteCluster(ctx context.Context, name string) (*model.Cluster, error) {
	return mutate(ctx, s, clusterKey(name), func(c *model.Cluster) error {
		if c.Status != model.ClusterActive {
			return fmt.Errorf("cluster %s: %w", name, ErrNotFound)
		}
		n := s.Counts(name)
		switch {
		case n.RegisteredInstances > 0:
			return ErrClusterHasInstances
		case n.ActiveServices+n.DrainingServices > 0:
			return ErrClusterHasServices
		case n.ActiveTasks > 0:
			return ErrClusterHasTasks
		}
		c.Status = model.ClusterInactive
		return nil
	})
}
