package model

import "time"

// Pipeline execution statuses (CodePipeline's PipelineExecutionStatus).
const (
	ExecInProgress = "InProgress"
	ExecStopping   = "Stopping"
	ExecStopped    = "Stopped"
	ExecSucceeded  = "Succeeded"
	ExecSuperseded = "Superseded"
	ExecFailed     = "Failed"
	ExecCancelled  = "Cancelled"
)

// Stage and action execution statuses.
const (
	StageInProgress = "InProgress"
	StageSucceeded  = "Succeeded"
	StageFailed     = "Failed"
	StageStopped    = "Stopped"
	StageStopping   = "Stopping"
	StageCancelled  = "Cancelled"

	ActionInProgress = "InProgress"
	ActionSucceeded  = "Succeeded"
	ActionFailed     = "Failed"
	ActionAbandoned  = "Abandoned"
)

// Execution modes.
const (
	ModeSuperseded = "SUPERSEDED"
	ModeQueued     = "QUEUED"
	ModeParallel   = "PARALLEL"
)

// Execution types.
const (
	ExecStandard = "STANDARD"
	ExecRollback = "ROLLBACK"
)

// Pipeline is a CodePipeline pipeline: its current declaration and the
// state of its stage transitions.
type Pipeline struct {
	Name          string                `json:"name"`
	ARN           string                `json:"arn"`
	Version       int32                 `json:"version"`
	RoleARN       string                `json:"roleArn"`
	ArtifactStore ArtifactStore         `json:"artifactStore"`
	PipelineType  string                `json:"pipelineType"` // V1 or V2
	ExecutionMode string                `json:"executionMode"`
	Stages        []PipelineStage       `json:"stages"`
	Variables     []PipelineVariable    `json:"variables,omitempty"`
	Triggers      []PipelineTrigger     `json:"triggers,omitempty"`
	Tags          []Tag                 `json:"tags,omitempty"`
	Created       time.Time             `json:"created"`
	Updated       time.Time             `json:"updated"`
	Transitions   map[string]Transition `json:"transitions,omitempty"` // by stage name; absent = enabled
}

// ArtifactStore is where a pipeline's artifacts live (wharf's artifact
// store; Location is the bucket name, a key prefix here).
type ArtifactStore struct {
	Type     string `json:"type"`
	Location string `json:"location"`
}

// PipelineStage is one stage of a pipeline.
type PipelineStage struct {
	Name      string           `json:"name"`
	Actions   []PipelineAction `json:"actions"`
	OnFailure string           `json:"onFailure,omitempty"` // FAIL (default), RETRY, ROLLBACK, SKIP
	// RetryMode applies when OnFailure is RETRY: FAILED_ACTIONS or ALL_ACTIONS.
	RetryMode string `json:"retryMode,omitempty"`
}

// PipelineAction is one action of a stage.
type PipelineAction struct {
	Name             string            `json:"name"`
	Category         string            `json:"category"`
	Owner            string            `json:"owner"`
	Provider         string            `json:"provider"`
	Version          string            `json:"version"`
	RunOrder         int32             `json:"runOrder"`
	Configuration    map[string]string `json:"configuration,omitempty"`
	InputArtifacts   []string          `json:"inputArtifacts,omitempty"`
	OutputArtifacts  []string          `json:"outputArtifacts,omitempty"`
	Namespace        string            `json:"namespace,omitempty"`
	Region           string            `json:"region,omitempty"`
	RoleARN          string            `json:"roleArn,omitempty"`
	TimeoutInMinutes int32             `json:"timeoutInMinutes,omitempty"`
}

// PipelineVariable is a pipeline-level variable (#{variables.NAME}).
type PipelineVariable struct {
	Name         string `json:"name"`
	DefaultValue string `json:"defaultValue,omitempty"`
	Description  string `json:"description,omitempty"`
}

// PipelineTrigger starts the pipeline on git pushes to its source action's
// repository that match the filters (V2 triggers; push filters only).
type PipelineTrigger struct {
	ProviderType     string       `json:"providerType"`
	SourceActionName string       `json:"sourceActionName"`
	Push             []PushFilter `json:"push,omitempty"`
}

// PushFilter matches a push by branch, tag and changed file globs.
type PushFilter struct {
	Branches  *IncludeExclude `json:"branches,omitempty"`
	Tags      *IncludeExclude `json:"tags,omitempty"`
	FilePaths *IncludeExclude `json:"filePaths,omitempty"`
}

// IncludeExclude is a pair of glob lists.
type IncludeExclude struct {
	Includes []string `json:"includes,omitempty"`
	Excludes []string `json:"excludes,omitempty"`
}

// Transition is the inbound transition of a stage.
type Transition struct {
	Enabled       bool      `json:"enabled"`
	Reason        string    `json:"reason,omitempty"`
	LastChangedBy string    `json:"lastChangedBy,omitempty"`
	LastChangedAt time.Time `json:"lastChangedAt"`
}

// PipelineExecution is one run of a pipeline, with everything the engine
// needs to resume it after a restart.
type PipelineExecution struct {
	ID              string `json:"id"`
	Pipeline        string `json:"pipeline"`
	PipelineVersion int32  `json:"pipelineVersion"`
	Status          string `json:"status"`
	StatusSummary   string `json:"statusSummary,omitempty"`
	Mode            string `json:"mode"`
	TriggerType     string `json:"triggerType"`
	// Type is STANDARD or ROLLBACK; a rollback re-runs one stage with the
	// artifacts and variables of RollbackTarget, then ends.
	Type           string            `json:"type,omitempty"`
	RollbackTarget string            `json:"rollbackTarget,omitempty"`
	TriggerDetail  string            `json:"triggerDetail,omitempty"`
	Variables      map[string]string `json:"variables,omitempty"` // resolved pipeline variables
	StartTime      time.Time         `json:"startTime"`
	LastUpdate     time.Time         `json:"lastUpdate"`
	// Stage is the index of the stage the execution is in or waiting
	// for; Waiting is true while it waits at that stage's door.
	Stage   int  `json:"stage"`
	Waiting bool `json:"waiting,omitempty"`
	// SourceRevisions pins the revision of each source action (by action
	// name): set at start (from the triggering push, or the branch head).
	SourceRevisions map[string]string `json:"sourceRevisions,omitempty"`
	Stages          []StageExecution  `json:"stages"`
	// StopRequested is set by StopPipelineExecution; Abandon with it.
	StopRequested bool   `json:"stopRequested,omitempty"`
	Abandon       bool   `json:"abandon,omitempty"`
	StopReason    string `json:"stopReason,omitempty"`
}

// StageExecution is what an execution did in one stage.
type StageExecution struct {
	Name    string            `json:"name"`
	Status  string            `json:"status,omitempty"` // "" until entered
	Actions []ActionExecution `json:"actions,omitempty"`
	// Attempt counts manual retries of the stage; AutoRetried is set once
	// onFailure RETRY has retried it.
	Attempt     int  `json:"attempt,omitempty"`
	AutoRetried bool `json:"autoRetried,omitempty"`
}

// ActionExecution is one run of an action.
type ActionExecution struct {
	Name            string            `json:"name"`
	ID              string            `json:"id"`
	Status          string            `json:"status"`
	Summary         string            `json:"summary,omitempty"`
	ErrorCode       string            `json:"errorCode,omitempty"`
	ErrorMessage    string            `json:"errorMessage,omitempty"`
	Token           string            `json:"token,omitempty"` // manual approval
	ExternalID      string            `json:"externalId,omitempty"`
	ExternalURL     string            `json:"externalUrl,omitempty"`
	Start           time.Time         `json:"start"`
	LastChange      time.Time         `json:"lastChange"`
	ResolvedConfig  map[string]string `json:"resolvedConfig,omitempty"`
	OutputVariables map[string]string `json:"outputVariables,omitempty"`
	InputArtifacts  []ArtifactRef     `json:"inputArtifacts,omitempty"`
	OutputArtifacts []ArtifactRef     `json:"outputArtifacts,omitempty"`
	ApprovalStatus  string            `json:"approvalStatus,omitempty"` // Approved or Rejected once answered
	ApprovalSummary string            `json:"approvalSummary,omitempty"`
	Revision        string            `json:"revision,omitempty"` // source actions: the commit
	RevisionSummary string            `json:"revisionSummary,omitempty"`
	// Started is set once the provider's Start returned: an action
	// recorded InProgress but not Started is started again after a restart.
	Started bool `json:"started,omitempty"`
}

// ArtifactRef names an artifact and its key in the artifact store.
type ArtifactRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// Terminal reports whether an execution status is final.
func ExecTerminal(status string) bool {
	switch status {
	case ExecStopped, ExecSucceeded, ExecSuperseded, ExecFailed, ExecCancelled:
		return true
	}
	return false
}
