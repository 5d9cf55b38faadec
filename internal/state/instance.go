package state

import (
	"context"
	"fmt"

	"github.com/wharfhq/wharf/internal/model"
)

func instanceKey(cluster, id string) string { return prefixInstances + cluster + "/" + id }

// RegisterInstance stores a new container instance, or replaces the record
// of an instance re-registering with its existing ARN.
func (s *State) RegisterInstance(ctx context.Context, cluster string, ci model.ContainerInstance) (*model.ContainerInstance, error) {
	if existing, ok := s.Instance(cluster, ci.ID); ok {
		return mutate(ctx, s, instanceKey(cluster, ci.ID), func(old *model.ContainerInstance) error {
			ci.RegisteredAt = existing.RegisteredAt
			ci.Version = old.Version + 1
			*old = ci
			return nil
		})
	}
	ci.RegisteredAt = s.now()
	ci.Version = 1
	if err := create(ctx, s, instanceKey(cluster, ci.ID), &ci); err != nil {
		return nil, err
	}
	return &ci, nil
}

// Instance returns a container instance of a cluster by id.
func (s *State) Instance(cluster, id string) (*model.ContainerInstance, bool) {
	ci, _, ok := get[model.ContainerInstance](s, instanceKey(cluster, id))
	return ci, ok
}

// Instances returns the container instances of a cluster, sorted by id.
func (s *State) Instances(cluster string) []*model.ContainerInstance {
	return list[model.ContainerInstance](s, prefixInstances+cluster+"/")
}

// UpdateInstance applies fn to a container instance; every change bumps
// its version, as ECS does.
func (s *State) UpdateInstance(ctx context.Context, cluster, id string, fn func(*model.ContainerInstance) error) (*model.ContainerInstance, error) {
	return mutate(ctx, s, instanceKey(cluster, id), func(ci *model.ContainerInstance) error {
		if err := fn(ci); err != nil {
			return err
		}
		ci.Version++
		return nil
	})
}

// DeregisterInstance marks a container instance INACTIVE.
func (s *State) DeregisterInstance(ctx context.Context, cluster, id string) (*model.ContainerInstance, error) {
	return s.UpdateInstance(ctx, cluster, id, func(ci *model.ContainerInstance) error {
		if ci.Status == model.InstanceInactive {
			return fmt.Errorf("container instance %s: %w", id, ErrNotFound)
		}
		ci.Status = model.InstanceInactive
		ci.AgentConnected = false
		return nil
	})
}

// DeleteInstance removes an INACTIVE container instance record for good.
func (s *State) DeleteInstance(ctx context.Context, cluster, id string) error {
	return s.remove(ctx, instanceKey(cluster, id))
}
