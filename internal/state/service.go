package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/store"
)

// Service keys: the spec (API), one key per deployment (created by the API
// or a rollback, never changed) and the controller's state.
const (
	prefixServices      = "services/"
	prefixDeployments   = "deployments/"
	prefixServiceStates = "servicestates/"
)

func serviceKey(cluster, name string) string      { return prefixServices + cluster + "/" + name }
func serviceStateKey(cluster, name string) string { return prefixServiceStates + cluster + "/" + name }
func deploymentsPrefix(cluster, name string) string {
	return prefixDeployments + cluster + "/" + name + "/"
}
func deploymentKey(cluster, name string, seq int64) string {
	return fmt.Sprintf("%s%010d", deploymentsPrefix(cluster, name), seq)
}

// ErrServiceExists means an ACTIVE or DRAINING service has the name.
var ErrServiceExists = errors.New("service exists")

// CreateService stores a new service with its first deployment. A service
// of the same name that is INACTIVE is replaced (with its deployments and
// state); an ACTIVE or DRAINING one gives ErrServiceExists.
func (s *State) CreateService(ctx context.Context, svc model.Service, first model.Deployment) error {
	svcBuf, err := json.Marshal(svc)
	if err != nil {
		return err
	}
	first.Seq = 1
	depBuf, err := json.Marshal(first)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < 10; attempt++ {
		conds := []store.Cond{}
		ops := []store.Op{}
		if old, rev, ok := get[model.Service](s, serviceKey(svc.ClusterName, svc.Name)); ok {
			st, _ := s.ServiceState(svc.ClusterName, svc.Name)
			if st == nil || !st.Inactive || old.Status == model.ServiceActive {
				return ErrServiceExists
			}
			conds = append(conds, store.Cond{Key: serviceKey(svc.ClusterName, svc.Name), ModRevision: rev})
			for _, e := range s.cache.List(deploymentsPrefix(svc.ClusterName, svc.Name)) {
				// The first deployment's key is overwritten below; etcd
				// refuses two operations on one key in a transaction.
				if e.Key != deploymentKey(svc.ClusterName, svc.Name, 1) {
					ops = append(ops, store.Op{Key: e.Key, Delete: true})
				}
			}
			ops = append(ops, store.Op{Key: serviceStateKey(svc.ClusterName, svc.Name), Delete: true})
		} else {
			conds = append(conds, store.Cond{Key: serviceKey(svc.ClusterName, svc.Name)})
		}
		ops = append(ops,
			store.Op{Key: serviceKey(svc.ClusterName, svc.Name), Value: svcBuf},
			store.Op{Key: deploymentKey(svc.ClusterName, svc.Name, 1), Value: depBuf})
		rev, err := s.store.Txn(ctx, conds, ops)
		if errors.Is(err, store.ErrConflict) {
			if err := s.WaitFor(ctx, s.cache.Revision()); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		return s.synced(ctx, rev)
	}
	return fmt.Errorf("create service %s: %w", svc.Name, ErrServiceExists)
}

// Service returns a service's spec.
func (s *State) Service(cluster, name string) (*model.Service, bool) {
	v, _, ok := get[model.Service](s, serviceKey(cluster, name))
	return v, ok
}

// Services returns the services of a cluster, sorted by name.
func (s *State) Services(cluster string) []*model.Service {
	return list[model.Service](s, prefixServices+cluster+"/")
}

// AllServices returns every service of every cluster.
func (s *State) AllServices() []*model.Service { return list[model.Service](s, prefixServices) }

// UpdateService applies fn to a service's spec.
func (s *State) UpdateService(ctx context.Context, cluster, name string, fn func(*model.Service) error) (*model.Service, error) {
	return mutate(ctx, s, serviceKey(cluster, name), fn)
}

// Deployments returns a service's deployments, oldest first.
func (s *State) Deployments(cluster, name string) []*model.Deployment {
	return list[model.Deployment](s, deploymentsPrefix(cluster, name))
}

// AddDeployment stores d as the service's newest deployment and returns it
// with its sequence number.
func (s *State) AddDeployment(ctx context.Context, cluster, name string, d model.Deployment) (*model.Deployment, error) {
	for attempt := 0; attempt < 100; attempt++ {
		deps := s.Deployments(cluster, name)
		d.Seq = 1
		if len(deps) > 0 {
			d.Seq = deps[len(deps)-1].Seq + 1
		}
		err := create(ctx, s, deploymentKey(cluster, name, d.Seq), &d)
		if errors.Is(err, ErrExists) {
			continue // another deployment took the number; the cache has it now
		}
		if err != nil {
			return nil, err
		}
		return &d, nil
	}
	return nil, fmt.Errorf("add deployment to %s: too many concurrent deployments", name)
}

// ServiceState returns the controller's state of a service.
func (s *State) ServiceState(cluster, name string) (*model.ServiceState, bool) {
	v, _, ok := get[model.ServiceState](s, serviceStateKey(cluster, name))
	return v, ok
}

// UpdateServiceState applies fn to the controller's state of a service,
// creating it when absent.
func (s *State) UpdateServiceState(ctx context.Context, cluster, name string, fn func(*model.ServiceState) error) (*model.ServiceState, error) {
	key := serviceStateKey(cluster, name)
	for {
		st, err := mutate(ctx, s, key, fn)
		if !errors.Is(err, ErrNotFound) {
			return st, err
		}
		fresh := &model.ServiceState{Deployments: map[string]model.DeploymentState{}}
		if err := fn(fresh); err != nil {
			return nil, err
		}
		err = create(ctx, s, key, fresh)
		if errors.Is(err, ErrExists) {
			continue
		}
		return fresh, err
	}
}
