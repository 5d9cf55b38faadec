package pipeline

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/wharfhq/wharf/internal/model"
)

// Job is one action execution handed to its provider.
type Job struct {
	Pipeline *model.Pipeline
	Exec     *model.PipelineExecution // read-only snapshot
	Stage    string
	Action   model.PipelineAction
	// Config is the action's configuration with #{...} variables resolved.
	Config map[string]string
	// Inputs are the action's input artifacts, in declaration order.
	Inputs []model.ArtifactRef
	// Run is the action execution as stored: ID, ExternalID and Token set
	// by an earlier Start, ApprovalStatus set by PutApprovalResult.
	Run model.ActionExecution
	// ArtifactPrefix is where the action's output artifacts go in the
	// artifact store: PREFIX/NAME.zip.
	ArtifactPrefix string
}

// Progress is what a provider reports about an action.
type Progress struct {
	// Done is true once the action ended with Status Succeeded or Failed.
	Done   bool
	Status string
	// Summary is shown in the action state; ErrorCode and ErrorMessage
	// explain a failure (CodePipeline's errorDetails).
	Summary      string
	ErrorCode    string
	ErrorMessage string
	// ExternalID identifies the job outside the pipeline (a build id, an
	// ECS deployment id); ExternalURL points a user at it.
	ExternalID  string
	ExternalURL string
	// Token is a manual approval's token.
	Token           string
	OutputVariables map[string]string
	OutputArtifacts []model.ArtifactRef
	// Revision and RevisionSummary describe a source action's revision
	// (commit id and message).
	Revision        string
	RevisionSummary string
}

// Provider runs one kind of action (Category/Owner/Provider).
type Provider interface {
	// Start begins an action execution. It may be called again for the same
	// execution (Run.ID) if the server died before its result was stored,
	// so it must not start a second job when Run.ExternalID is set.
	Start(ctx context.Context, job Job) (Progress, error)
	// Poll reports on an action in progress. An error is retried on the next
	// tick; a Progress with Done ends the action.
	Poll(ctx context.Context, job Job) (Progress, error)
}

// ProviderKey names a provider as its actionTypeId does.
func ProviderKey(category, owner, provider string) string {
	return category + "/" + owner + "/" + provider
}

// Error codes of action failures (CodePipeline's errorDetails.code).
const (
	ErrJobFailed          = "JobFailed"
	ErrConfigurationError = "ConfigurationError"
	ErrPermissionError    = "PermissionError"
	ErrTimeout            = "TimeoutError"
)

// CommitDate formats a commit time as CodePipeline's source variables
// (AuthorDate, CommitterDate) do: ISO 8601 in UTC.
func CommitDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Truncate shortens s to at most n bytes without splitting a character,
// for variables CodePipeline caps (CommitMessage).
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
