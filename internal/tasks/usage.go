package tasks

import (
	"strconv"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/scheduler"
	"github.com/wharfhq/wharf/internal/state"
)

// AgentTimeout is how long an instance's agent may stay silent before the
// instance reports agentConnected=false and receives no placements.
const AgentTimeout = 90 * time.Second

// Usage is what the tasks on one container instance hold.
type Usage struct {
	CPU, Memory        int64
	TCPPorts, UDPPorts []int
	// RunningTasks counts tasks whose desired status is RUNNING;
	// PendingTasks those not yet RUNNING (ECS's instance counters).
	RunningTasks, PendingTasks int32
	Tasks                      []scheduler.PlacedTask
}

// View is a read-only snapshot of one cluster's tasks and instances.
type View struct {
	st      *state.State
	cluster string
	tasks   []*model.Task
	// status[i] is the observed status of tasks[i]. A slice, not a map by
	// task id: Launch builds a View per call, and hashing every task id
	// into a fresh map dominated placement in large clusters.
	status []model.TaskStatus

	byIDOnce sync.Once
	byID     map[string]int // task id → index, built on first Status call
}

// NewView snapshots a cluster's tasks and their observed statuses.
func NewView(st *state.State, cluster string) *View {
	v := &View{st: st, cluster: cluster}
	v.tasks, v.status = st.TasksWithStatus(cluster)
	return v
}

// Tasks returns the cluster's tasks.
func (v *View) Tasks() []*model.Task { return v.tasks }

// Status returns a task's observed status (zero for a task not in the
// view).
func (v *View) Status(t *model.Task) model.TaskStatus {
	v.byIDOnce.Do(func() {
		v.byID = make(map[string]int, len(v.tasks))
		for i, t := range v.tasks {
			v.byID[t.ID] = i
		}
	})
	i, ok := v.byID[t.ID]
	if !ok {
		return 0
	}
	return v.status[i]
}

// Usage returns what the tasks on each instance hold, by instance id.
func (v *View) Usage() map[string]*Usage {
	out := map[string]*Usage{}
	for i, t := range v.tasks {
		// A task holds its reservation until it is STOPPED.
		if t.InstanceID == "" || v.status[i] >= model.TaskStopped {
			continue
		}
		u := out[t.InstanceID]
		if u == nil {
			u = &Usage{}
			out[t.InstanceID] = u
		}
		u.CPU += t.Reservation.CPU
		u.Memory += t.Reservation.Memory
		u.TCPPorts = append(u.TCPPorts, t.Reservation.TCPPorts...)
		u.UDPPorts = append(u.UDPPorts, t.Reservation.UDPPorts...)
		u.Tasks = append(u.Tasks, scheduler.PlacedTask{Group: t.Group, TaskDefinitionFamily: t.Family})
		if t.DesiredStatus == model.DesiredRunning {
			u.RunningTasks++
		}
		if v.status[i] < model.TaskRunning {
			u.PendingTasks++
		}
	}
	return out
}

// Remaining returns an instance's registered resources minus what its
// tasks hold, in ECS's shape: CPU and MEMORY reduced, PORTS and PORTS_UDP
// extended by the static host ports in use.
func Remaining(ci *model.ContainerInstance, u *Usage) []model.Resource {
	out := make([]model.Resource, 0, len(ci.RegisteredResources))
	for _, r := range ci.RegisteredResources {
		if u != nil {
			switch r.Name {
			case "CPU":
				r.IntegerValue -= int32(u.CPU)
			case "MEMORY":
				r.IntegerValue -= int32(u.Memory)
			case "PORTS":
				r.StringSetValue = appendPorts(r.StringSetValue, u.TCPPorts)
			case "PORTS_UDP":
				r.StringSetValue = appendPorts(r.StringSetValue, u.UDPPorts)
			}
		}
		out = append(out, r)
	}
	return out
}

func appendPorts(set []string, ports []int) []string {
	out := append([]string(nil), set...)
	for _, p := range ports {
		out = append(out, strconv.Itoa(p))
	}
	return out
}

// Connected reports whether an instance's agent called in recently.
func Connected(st *state.State, ci *model.ContainerInstance, now time.Time) bool {
	if ci.Status == model.InstanceInactive {
		return false
	}
	last := ci.RegisteredAt
	if hb, ok := st.LastHeartbeat(clusterOf(ci), ci.ID); ok && hb.After(last) {
		last = hb
	}
	if ci.LastHeartbeat.After(last) {
		last = ci.LastHeartbeat
	}
	return now.Sub(last) < AgentTimeout
}

// clusterOf returns the cluster name from an instance's cluster ARN.
func clusterOf(ci *model.ContainerInstance) string {
	for i := len(ci.ClusterARN) - 1; i >= 0; i-- {
		if ci.ClusterARN[i] == '/' {
			return ci.ClusterARN[i+1:]
		}
	}
	return ci.ClusterARN
}
