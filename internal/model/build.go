package model

import "time"

// Build statuses (CodeBuild's StatusType), for builds and their phases.
const (
	BuildInProgress = "IN_PROGRESS"
	BuildSucceeded  = "SUCCEEDED"
	BuildFailed     = "FAILED"
	BuildFault      = "FAULT"
	BuildTimedOut   = "TIMED_OUT"
	BuildStopped    = "STOPPED"
)

// Build environment types wharf runs. LINUX_HOST is a wharf extension: the
// commands run in a private workspace on the agent host, without a
// container, for machines that cannot pull a build image.
const (
	EnvLinuxContainer = "LINUX_CONTAINER"
	EnvLinuxHost      = "LINUX_HOST"
)

// BuildProject is a CodeBuild project: how to build a source.
type BuildProject struct {
	Name               string           `json:"name"`
	ARN                string           `json:"arn"`
	Description        string           `json:"description,omitempty"`
	Source             BuildSource      `json:"source"`
	SourceVersion      string           `json:"sourceVersion,omitempty"`
	Artifacts          BuildArtifacts   `json:"artifacts"`
	SecondaryArtifacts []BuildArtifacts `json:"secondaryArtifacts,omitempty"`
	Environment        BuildEnvironment `json:"environment"`
	Cache              BuildCache       `json:"cache"`
	ServiceRole        string           `json:"serviceRole,omitempty"`
	TimeoutInMinutes   int32            `json:"timeoutInMinutes"`
	QueuedTimeout      int32            `json:"queuedTimeoutInMinutes"`
	ConcurrentLimit    int32            `json:"concurrentBuildLimit,omitempty"`
	Logs               BuildLogsConfig  `json:"logs"`
	Tags               []Tag            `json:"tags,omitempty"`
	Created            time.Time        `json:"created"`
	LastModified       time.Time        `json:"lastModified"`
	// BuildCounter is the number of the project's last build
	// (CODEBUILD_BUILD_NUMBER); deleting builds does not lower it.
	BuildCounter int64 `json:"buildCounter"`
}

// BuildSource is where a build's source comes from.
type BuildSource struct {
	Type          string `json:"type"`
	Location      string `json:"location,omitempty"`
	Buildspec     string `json:"buildspec,omitempty"`
	GitCloneDepth int32  `json:"gitCloneDepth,omitempty"`
	InsecureSSL   bool   `json:"insecureSsl,omitempty"`
	Identifier    string `json:"sourceIdentifier,omitempty"`
}

// BuildArtifacts is where a build's artifacts go.
type BuildArtifacts struct {
	Type                 string `json:"type"`
	Location             string `json:"location,omitempty"`
	Path                 string `json:"path,omitempty"`
	Name                 string `json:"name,omitempty"`
	NamespaceType        string `json:"namespaceType,omitempty"`
	Packaging            string `json:"packaging,omitempty"`
	Identifier           string `json:"artifactIdentifier,omitempty"`
	OverrideArtifactName bool   `json:"overrideArtifactName,omitempty"`
	EncryptionDisabled   bool   `json:"encryptionDisabled,omitempty"`
}

// BuildEnvironment is the environment a build runs in.
type BuildEnvironment struct {
	Type                     string          `json:"type"`
	Image                    string          `json:"image"`
	ComputeType              string          `json:"computeType"`
	Variables                []BuildVariable `json:"variables,omitempty"`
	PrivilegedMode           bool            `json:"privilegedMode,omitempty"`
	ImagePullCredentialsType string          `json:"imagePullCredentialsType,omitempty"`
	Certificate              string          `json:"certificate,omitempty"`
}

// BuildVariable is an environment variable of a project or build; Type is
// PLAINTEXT, PARAMETER_STORE or SECRETS_MANAGER.
type BuildVariable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Type  string `json:"type,omitempty"`
}

// BuildCache configures the build cache (NO_CACHE or LOCAL with modes).
type BuildCache struct {
	Type      string   `json:"type"`
	Location  string   `json:"location,omitempty"`
	Modes     []string `json:"modes,omitempty"`
	Namespace string   `json:"cacheNamespace,omitempty"`
}

// BuildLogsConfig is where build logs go (CloudWatch Logs only).
type BuildLogsConfig struct {
	Status     string `json:"status,omitempty"` // ENABLED (default) or DISABLED
	GroupName  string `json:"groupName,omitempty"`
	StreamName string `json:"streamName,omitempty"`
}

// Build is one run of a project, as the server decided it: the project's
// settings with StartBuild's overrides applied. What the build does is in
// BuildState, written by the agent that runs it.
type Build struct {
	ID                 string           `json:"id"` // PROJECT:UUID
	ARN                string           `json:"arn"`
	Number             int64            `json:"number"`
	Project            string           `json:"project"`
	Initiator          string           `json:"initiator,omitempty"`
	SourceVersion      string           `json:"sourceVersion,omitempty"`
	Source             BuildSource      `json:"source"`
	Artifacts          BuildArtifacts   `json:"artifacts"`
	SecondaryArtifacts []BuildArtifacts `json:"secondaryArtifacts,omitempty"`
	Environment        BuildEnvironment `json:"environment"`
	Cache              BuildCache       `json:"cache"`
	ServiceRole        string           `json:"serviceRole,omitempty"`
	TimeoutInMinutes   int32            `json:"timeoutInMinutes"`
	QueuedTimeout      int32            `json:"queuedTimeoutInMinutes"`
	LogGroup           string           `json:"logGroup,omitempty"`
	LogStream          string           `json:"logStream,omitempty"`
	IdempotencyToken   string           `json:"idempotencyToken,omitempty"`
	StartTime          time.Time        `json:"startTime"`
	// Cluster and InstanceID name the container instance the build is
	// placed on; empty while it waits for one.
	Cluster    string `json:"cluster,omitempty"`
	InstanceID string `json:"instanceId,omitempty"`
	// StopRequested is set by StopBuild; the agent then stops the build.
	StopRequested bool `json:"stopRequested,omitempty"`
}

// UUID returns the part of the build id after the project name.
func (b *Build) UUID() string { return b.ID[len(b.Project)+1:] }

// BuildState is what a build has done so far. Its Version only grows, so
// a late or repeated report never overwrites a newer one.
type BuildState struct {
	Version               int64                 `json:"version"`
	Status                string                `json:"status"`
	CurrentPhase          string                `json:"currentPhase"`
	Phases                []BuildPhase          `json:"phases,omitempty"`
	ResolvedSourceVersion string                `json:"resolvedSourceVersion,omitempty"`
	Exported              []BuildVariable       `json:"exported,omitempty"`
	Artifacts             []BuildArtifactResult `json:"artifacts,omitempty"`
	EndTime               time.Time             `json:"endTime,omitzero"`
	Complete              bool                  `json:"complete,omitempty"`
}

// BuildPhase is one phase of a build.
type BuildPhase struct {
	Type     string              `json:"type"`
	Status   string              `json:"status,omitempty"`
	Start    time.Time           `json:"start"`
	End      time.Time           `json:"end,omitzero"`
	Contexts []BuildPhaseContext `json:"contexts,omitempty"`
}

// BuildPhaseContext explains a phase's status.
type BuildPhaseContext struct {
	StatusCode string `json:"statusCode"`
	Message    string `json:"message"`
}

// BuildArtifactResult is an uploaded artifact: Identifier is "" for the
// primary one; Key names it in wharf's artifact store.
type BuildArtifactResult struct {
	Identifier string `json:"identifier,omitempty"`
	Key        string `json:"key"`
	SHA256     string `json:"sha256,omitempty"`
	MD5        string `json:"md5,omitempty"`
	Size       int64  `json:"size,omitempty"`
}
