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
// Builds (CodeBuild) placed on an instance travel the same way:
//
//	GET  /agent/v1/clusters/{cluster}/instances/{id}/builds?after=REV&wait=SECONDS
//	     → DesiredBuilds: the builds placed on the instance that are not
//	       complete (StopRequested set means: stop it). Long-polls like tasks.
//	PUT  /agent/v1/builds/{id}/state      body: model.BuildState → 204; an
//	     older Version, or any write after a complete state, is ignored.
//	PUT  /agent/v1/artifacts/{key...}     body: the artifact → ArtifactInfo
//	GET  /agent/v1/artifacts/{key...}     → the artifact (a pipeline build's input)
//	POST /agent/v1/secrets/resolve        body: SecretRequest → SecretValue
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

// DesiredBuilds is the level-triggered list of builds an instance runs.
type DesiredBuilds struct {
	Revision int64          `json:"revision"`
	Builds   []DesiredBuild `json:"builds"`
}

// DesiredBuild is a build to run (or stop) with its last reported state.
type DesiredBuild struct {
	Build model.Build       `json:"build"`
	State *model.BuildState `json:"state,omitempty"`
}

// ArtifactInfo describes an uploaded artifact.
type ArtifactInfo struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	MD5    string `json:"md5"`
}

// SecretRequest asks the server to resolve a buildspec secret reference;
// Kind is "parameter-store" or "secrets-manager".
type SecretRequest struct {
	Kind string `json:"kind"`
	Ref  string `json:"ref"`
}

// SecretValue is a resolved secret.
type SecretValue struct {
	Value string `json:"value"`
}
