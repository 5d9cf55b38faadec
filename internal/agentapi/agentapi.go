// Package agentapi defines wharf's agent protocol: how an instance agent
// learns which tasks to run and reports what they do. The server serves it
// (internal/server); agents (internal/agent) are its only clients. Agents
// register through the ECS API itself (RegisterContainerInstance) and
// never touch etcd.
//
//	GET  /agent/v1/clusters/{cluster}/instances/{id}/tasks?after=REV&wait=SECONDS
//	     → DesiredTasks: every task placed on the instance that is not yet
//	       STOPPED, or that STOPPED less than the retention ago. Long-polls
//	       until the state revision passes `after` or `wait` elapses. The
//	       call doubles as the agent's heartbeat.
//	PUT  /agent/v1/clusters/{cluster}/tasks/{id}/state     body: model.TaskState
//	     → 204; states only move forward: an older Version or a lower
//	       LastStatus than stored is ignored (204 as well), so retries are safe.
//
// Requests carry "Authorization: Bearer <agent token>".
package agentapi

import "github.com/wharfhq/wharf/internal/model"

// Paths of the agent API.
const (
	PathPrefix = "/agent/v1/"
)

// DesiredTasks is the level-triggered desired state of one instance.
type DesiredTasks struct {
	// Revision is the state revision the answer reflects; pass it as
	// `after` to wait for the next change.
	Revision int64         `json:"revision"`
	Tasks    []DesiredTask `json:"tasks"`
}

// DesiredTask is a task to run (or stop) with its task definition and the
// last state the server has from the agent (so a restarted agent resumes).
type DesiredTask struct {
	Task           model.Task           `json:"task"`
	TaskDefinition model.TaskDefinition `json:"taskDefinition"`
	State          *model.TaskState     `json:"state,omitempty"`
}
