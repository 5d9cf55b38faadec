package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/store"
)

// Task keys. A task's spec (what should be) and its observed state (what
// the agent saw) are separate keys with separate writers: the API and the
// scheduler write the spec, the agent running the task writes the state.
const (
	prefixTasks      = "tasks/"
	prefixTaskStates = "taskstates/"
	prefixPlacements = "placements/"
)

func taskKey(cluster, id string) string      { return prefixTasks + cluster + "/" + id }
func taskStateKey(cluster, id string) string { return prefixTaskStates + cluster + "/" + id }
func placementKey(cluster string) string     { return prefixPlacements + cluster }

// ErrPlacementConflict means another placement in the same cluster
// committed first; the caller should take a fresh snapshot and retry.
var ErrPlacementConflict = errors.New("placement conflict")

// placementSeq is a per-cluster counter that every placement bumps in the
// same transaction that creates its tasks, so two placements computed from
// the same snapshot cannot both commit.
type placementSeq struct {
	Seq int64 `json:"seq"`
}

// PlacementRevision returns the mod revision of the cluster's placement
// counter (0 when it does not exist yet). Take it before the snapshot a
// placement is computed from, and pass it to CreateTasks.
func (s *State) PlacementRevision(ctx context.Context, cluster string) (int64, int64, error) {
	kv, err := s.store.Get(ctx, placementKey(cluster))
	if errors.Is(err, store.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var p placementSeq
	if err := json.Unmarshal(kv.Value, &p); err != nil {
		return 0, 0, err
	}
	return kv.ModRevision, p.Seq, nil
}

// CreateTasks stores new tasks of one cluster atomically, provided no other
// placement committed since placementRev (ErrPlacementConflict otherwise).
func (s *State) CreateTasks(ctx context.Context, cluster string, placementRev, seq int64, tasks []model.Task) error {
	buf, err := json.Marshal(placementSeq{Seq: seq + 1})
	if err != nil {
		return err
	}
	conds := []store.Cond{{Key: placementKey(cluster), ModRevision: placementRev}}
	ops := []store.Op{{Key: placementKey(cluster), Value: buf}}
	for i := range tasks {
		b, err := json.Marshal(&tasks[i])
		if err != nil {
			return err
		}
		conds = append(conds, store.Cond{Key: taskKey(cluster, tasks[i].ID)})
		ops = append(ops, store.Op{Key: taskKey(cluster, tasks[i].ID), Value: b})
	}
	rev, err := s.store.Txn(ctx, conds, ops)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", ErrPlacementConflict, err)
	}
	if err != nil {
		return err
	}
	return s.synced(ctx, rev)
}

// Task returns a task's spec.
func (s *State) Task(cluster, id string) (*model.Task, bool) {
	t, _, ok := get[model.Task](s, taskKey(cluster, id))
	return t, ok
}

// Tasks returns the task specs of a cluster, sorted by id.
func (s *State) Tasks(cluster string) []*model.Task {
	return list[model.Task](s, prefixTasks+cluster+"/")
}

// AllTasks returns the task specs of every cluster.
func (s *State) AllTasks() []*model.Task { return list[model.Task](s, prefixTasks) }

// TaskState returns the observed state of a task, if the agent reported one.
func (s *State) TaskState(cluster, id string) (*model.TaskState, bool) {
	t, _, ok := get[model.TaskState](s, taskStateKey(cluster, id))
	return t, ok
}

// ObservedStatus is a task's last status (PROVISIONING until reported).
func (s *State) ObservedStatus(t *model.Task) model.TaskStatus {
	if st, ok := s.TaskState(t.ClusterName, t.ID); ok && st.LastStatus > 0 {
		return st.LastStatus
	}
	return model.TaskProvisioning
}

// UpdateTask applies fn to a task's spec.
func (s *State) UpdateTask(ctx context.Context, cluster, id string, fn func(*model.Task) error) (*model.Task, error) {
	return mutate(ctx, s, taskKey(cluster, id), fn)
}

// ErrStaleState means a reported state is older than the stored one.
var ErrStaleState = errors.New("stale task state")

// PutTaskState stores an agent's report. States only move forward: a
// report with a lower status or version than the stored one is refused
// with ErrStaleState, so retried and reordered reports are harmless.
func (s *State) PutTaskState(ctx context.Context, cluster, id string, st model.TaskState) error {
	if _, ok := s.Task(cluster, id); !ok {
		return fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	key := taskStateKey(cluster, id)
	buf, err := json.Marshal(st)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < 100; attempt++ {
		kv, err := s.store.Get(ctx, key)
		var rev int64
		switch {
		case errors.Is(err, store.ErrNotFound):
			rev, err = s.store.Create(ctx, key, buf)
			if errors.Is(err, store.ErrExists) {
				continue
			}
		case err != nil:
			return err
		default:
			var old model.TaskState
			if err := json.Unmarshal(kv.Value, &old); err == nil {
				if st.LastStatus < old.LastStatus || st.Version < old.Version {
					return ErrStaleState
				}
			}
			rev, err = s.store.Update(ctx, key, buf, kv.ModRevision)
			if errors.Is(err, store.ErrConflict) {
				continue
			}
		}
		if err != nil {
			return err
		}
		return s.synced(ctx, rev)
	}
	return fmt.Errorf("task state %s: too many concurrent writers", id)
}

// DeleteTask removes a task's spec and state (pruning stopped tasks).
func (s *State) DeleteTask(ctx context.Context, cluster, id string) error {
	rev, err := s.store.Txn(ctx, nil, []store.Op{
		{Key: taskKey(cluster, id), Delete: true},
		{Key: taskStateKey(cluster, id), Delete: true},
	})
	if err != nil {
		return err
	}
	return s.synced(ctx, rev)
}

// TaskByARN finds a task by ARN or id within a cluster.
func (s *State) TaskByRef(cluster, ref string) (*model.Task, bool) {
	id := ref
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		id = ref[i+1:]
	}
	t, ok := s.Task(cluster, id)
	if !ok || (strings.HasPrefix(ref, "arn:") && t.ARN != ref) {
		return nil, false
	}
	return t, true
}

// TasksWithStatus returns a cluster's tasks, sorted by id, with their
// observed statuses (PROVISIONING until reported) in one merge over the
// two key ranges: placement snapshots of large clusters need this to be
// cheap.
func (s *State) TasksWithStatus(cluster string) ([]*model.Task, []model.TaskStatus) {
	specs := s.cache.List(prefixTasks + cluster + "/")
	states := s.cache.List(prefixTaskStates + cluster + "/")
	tasks := make([]*model.Task, 0, len(specs))
	statuses := make([]model.TaskStatus, 0, len(specs))
	specPrefix, statePrefix := len(prefixTasks)+len(cluster)+1, len(prefixTaskStates)+len(cluster)+1
	j := 0
	for _, e := range specs {
		t, ok := e.Obj.(*model.Task)
		if !ok {
			continue
		}
		id := e.Key[specPrefix:]
		for j < len(states) && states[j].Key[statePrefix:] < id {
			j++
		}
		status := model.TaskProvisioning
		if j < len(states) && states[j].Key[statePrefix:] == id {
			if st, ok := states[j].Obj.(*model.TaskState); ok && st.LastStatus > 0 {
				status = st.LastStatus
			}
		}
		tasks = append(tasks, t)
		statuses = append(statuses, status)
	}
	return tasks, statuses
}
