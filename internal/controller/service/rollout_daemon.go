package service

import (
	"slices"
)

// DAEMON services (ecs.md 4.11): one task per eligible instance — an
// instance in the snapshot (it satisfies the placement constraints) that is
// not DRAINING. D is the number of such instances; maximumPercent is 100.
//
// Per pass:
//   - tasks on instances that are gone, draining or no longer eligible are
//     stopped at once (daemon tasks stop when their instance drains; this
//     is not subject to the healthy budget);
//   - on each eligible instance (in ID order): surplus PRIMARY tasks stop
//     (keeping the best one), old-deployment tasks stop within the healthy
//     budget (with the default minimum of 0 that is all of them), and an
//     instance with no live task left gets a PRIMARY task — so a rollout
//     stops the old task first and starts the new one once the old one is
//     STOPPED, never running two tasks on one instance;
//   - starts also stay within maxT, like REPLICA.

// daemon runs the DAEMON rules; it reports whether old tasks remain on
// eligible instances.
func (r *rollout) daemon() bool {
	failed := r.primaryFailed()
	eligible := make(map[string]bool, len(r.s.Instances))
	var ids []string
	for _, in := range r.s.Instances {
		if !in.Draining && !eligible[in.ID] {
			eligible[in.ID] = true
			ids = append(ids, in.ID)
		}
	}
	slices.Sort(ids)

	for _, i := range r.byLaunch(func(ti *taskInfo) bool {
		return ti.active() && (!eligible[ti.t.InstanceID] || ti.t.OnDrainingInstance)
	}) {
		r.stopTask(i, r.stopReason(&r.info[i]))
	}

	type slot struct {
		primary, old []int
		live         int // live tasks on the instance, stopping ones included
	}
	slots := make(map[string]*slot, len(ids))
	for i := range r.info {
		ti := &r.info[i]
		if ti.phase == phaseStopped || !eligible[ti.t.InstanceID] {
			continue
		}
		sl := slots[ti.t.InstanceID]
		if sl == nil {
			sl = &slot{}
			slots[ti.t.InstanceID] = sl
		}
		sl.live++
		switch {
		case !ti.active():
		case ti.primary:
			sl.primary = append(sl.primary, i)
		default:
			sl.old = append(sl.old, i)
		}
	}

	replaceable := false
	starts := 0
	for _, id := range ids {
		if sl := slots[id]; sl != nil {
			if len(sl.primary) > 1 {
				slices.SortFunc(sl.primary, r.scaleInOrder) // the best one last
				for _, i := range sl.primary[:len(sl.primary)-1] {
					r.tryStop(i)
				}
			}
			if !failed {
				slices.SortFunc(sl.old, r.replaceOrder)
				for _, i := range sl.old {
					r.tryStop(i)
				}
			}
			if r.anyActive(sl.old) {
				replaceable = true
			}
			if sl.live > 0 {
				continue // stop first, start once the instance is free
			}
		}
		if failed || r.live+starts >= r.maxT || r.holdLaunch() {
			continue
		}
		r.plan.Start = append(r.plan.Start, Start{DeploymentID: r.primary.ID, Count: 1, InstanceID: id})
		starts++
	}
	return replaceable
}

// onePerEligibleInstance reports whether every live task runs on its own
// eligible instance.
func (r *rollout) onePerEligibleInstance() bool {
	eligible := make(map[string]bool, len(r.s.Instances))
	for _, in := range r.s.Instances {
		if !in.Draining {
			eligible[in.ID] = true
		}
	}
	seen := make(map[string]bool)
	for i := range r.info {
		t := r.info[i].t
		if r.info[i].phase == phaseStopped {
			continue
		}
		if !eligible[t.InstanceID] || seen[t.InstanceID] {
			return false
		}
		seen[t.InstanceID] = true
	}
	return true
}
