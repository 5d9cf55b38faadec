// Package codebuild is the Build/AWS/CodeBuild (and Test/AWS/CodeBuild)
// pipeline action: it starts a build of the project through wharf's
// CodeBuild API with the action's input artifact as its source, follows it
// and hands the build's exported variables and artifacts on.
package codebuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
)

// API is the part of the CodeBuild client the action uses.
type API interface {
	StartBuild(context.Context, *codebuild.StartBuildInput, ...func(*codebuild.Options)) (*codebuild.StartBuildOutput, error)
	BatchGetBuilds(context.Context, *codebuild.BatchGetBuildsInput, ...func(*codebuild.Options)) (*codebuild.BatchGetBuildsOutput, error)
}

// Provider runs CodeBuild actions.
type Provider struct{ api API }

// New returns the CodeBuild action provider using api (a client of the
// server's own CodeBuild endpoint).
func New(api API) *Provider { return &Provider{api: api} }

// envVar is one entry of the EnvironmentVariables configuration (JSON).
type envVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Type  string `json:"type"`
}

// Start starts the build; the action's run id is the idempotency token, so
// a repeated Start returns the same build.
func (p *Provider) Start(ctx context.Context, job pipeline.Job) (pipeline.Progress, error) {
	if job.Run.ExternalID != "" {
		return p.Poll(ctx, job)
	}
	project := job.Config["ProjectName"]
	primary, err := primaryInput(job)
	if err != nil {
		return failed(pipeline.ErrConfigurationError, err.Error()), nil
	}
	in := &codebuild.StartBuildInput{
		ProjectName:            aws.String(project),
		SourceTypeOverride:     types.SourceTypeCodepipeline,
		SourceLocationOverride: aws.String(primary.Key),
		ArtifactsOverride:      &types.ProjectArtifacts{Type: types.ArtifactsTypeCodepipeline},
		IdempotencyToken:       aws.String(job.Run.ID),
	}
	if rev := revisionOf(job.Exec, primary.Name); rev != "" {
		// The agent reports it as CODEBUILD_RESOLVED_SOURCE_VERSION, as
		// CodeBuild does with the revision CodePipeline supplies.
		in.SourceVersion = aws.String(rev)
	}
	for _, name := range job.Action.OutputArtifacts[min(1, len(job.Action.OutputArtifacts)):] {
		in.SecondaryArtifactsOverride = append(in.SecondaryArtifactsOverride, types.ProjectArtifacts{
			Type: types.ArtifactsTypeCodepipeline, ArtifactIdentifier: aws.String(name),
		})
	}
	if raw := job.Config["EnvironmentVariables"]; raw != "" {
		var vars []envVar
		if err := json.Unmarshal([]byte(raw), &vars); err != nil {
			return failed(pipeline.ErrConfigurationError, "EnvironmentVariables is not a JSON array of {name, value, type}: "+err.Error()), nil
		}
		for _, v := range vars {
			t := types.EnvironmentVariableType(v.Type)
			if t == "" {
				t = types.EnvironmentVariableTypePlaintext
			}
			in.EnvironmentVariablesOverride = append(in.EnvironmentVariablesOverride, types.EnvironmentVariable{
				Name: aws.String(v.Name), Value: aws.String(v.Value), Type: t,
			})
		}
	}
	out, err := p.api.StartBuild(ctx, in)
	if err != nil {
		if isClientError(err) {
			return failed(pipeline.ErrConfigurationError, err.Error()), nil
		}
		return pipeline.Progress{}, err
	}
	id := aws.ToString(out.Build.Id)
	return pipeline.Progress{ExternalID: id, Summary: "Build " + id + " started; follow it with: wharf logs build " + id + " -f"}, nil
}

// revisionOf is the source revision behind an artifact: that of the action
// that produced it, or of the execution's first source action.
func revisionOf(ex *model.PipelineExecution, artifact string) string {
	first := ""
	for _, st := range ex.Stages {
		for _, r := range st.Actions {
			if first == "" && r.Revision != "" {
				first = r.Revision
			}
			for _, o := range r.OutputArtifacts {
				if o.Name == artifact && r.Revision != "" {
					return r.Revision
				}
			}
		}
	}
	return first
}

// primaryInput is the input whose directory holds the buildspec.
func primaryInput(job pipeline.Job) (model.ArtifactRef, error) {
	if len(job.Inputs) == 0 {
		return model.ArtifactRef{}, fmt.Errorf("the CodeBuild action needs an input artifact")
	}
	want := job.Config["PrimarySource"]
	if want == "" {
		if len(job.Inputs) > 1 {
			return model.ArtifactRef{}, fmt.Errorf("PrimarySource is required with %d input artifacts", len(job.Inputs))
		}
		return job.Inputs[0], nil
	}
	for _, in := range job.Inputs {
		if in.Name == want {
			return in, nil
		}
	}
	return model.ArtifactRef{}, fmt.Errorf("PrimarySource %s is not an input artifact of the action", want)
}

// Poll follows the build.
func (p *Provider) Poll(ctx context.Context, job pipeline.Job) (pipeline.Progress, error) {
	out, err := p.api.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{job.Run.ExternalID}})
	if err != nil {
		return pipeline.Progress{}, err
	}
	if len(out.Builds) == 0 {
		return failed(pipeline.ErrJobFailed, "build "+job.Run.ExternalID+" no longer exists"), nil
	}
	b := out.Builds[0]
	if !b.BuildComplete {
		return pipeline.Progress{Summary: fmt.Sprintf("Build %s in %s", job.Run.ExternalID, aws.ToString(b.CurrentPhase))}, nil
	}
	if b.BuildStatus != types.StatusTypeSucceeded {
		return failed(pipeline.ErrJobFailed, failureMessage(b)), nil
	}
	prog := pipeline.Progress{Done: true, Status: model.ActionSucceeded, Summary: "Build " + job.Run.ExternalID + " succeeded",
		OutputVariables: map[string]string{}}
	for _, v := range b.ExportedEnvironmentVariables {
		prog.OutputVariables[aws.ToString(v.Name)] = aws.ToString(v.Value)
	}
	outs := job.Action.OutputArtifacts
	if len(outs) > 0 && b.Artifacts != nil && aws.ToString(b.Artifacts.Location) != "" {
		prog.OutputArtifacts = append(prog.OutputArtifacts, model.ArtifactRef{Name: outs[0], Key: s3Key(aws.ToString(b.Artifacts.Location))})
	}
	for _, sa := range b.SecondaryArtifacts {
		for _, name := range outs[min(1, len(outs)):] {
			if aws.ToString(sa.ArtifactIdentifier) == name {
				prog.OutputArtifacts = append(prog.OutputArtifacts, model.ArtifactRef{Name: name, Key: s3Key(aws.ToString(sa.Location))})
			}
		}
	}
	if len(prog.OutputArtifacts) < len(outs) {
		return failed(pipeline.ErrJobFailed, fmt.Sprintf("the build produced %d of the action's %d output artifacts (check the buildspec's artifacts and secondary-artifacts)",
			len(prog.OutputArtifacts), len(outs))), nil
	}
	return prog, nil
}

// failureMessage words a failed build as CodePipeline does, naming the
// phase and its context.
func failureMessage(b types.Build) string {
	msg := "Build terminated with state: " + string(b.BuildStatus)
	for _, ph := range b.Phases {
		switch ph.PhaseStatus {
		case types.StatusTypeFailed, types.StatusTypeFault, types.StatusTypeTimedOut, types.StatusTypeStopped:
			msg += ". Phase: " + string(ph.PhaseType)
			if len(ph.Contexts) > 0 {
				msg += ", Code: " + aws.ToString(ph.Contexts[0].StatusCode) + ", Message: " + aws.ToString(ph.Contexts[0].Message)
			}
			return msg
		}
	}
	return msg
}

func s3Key(location string) string { return strings.TrimPrefix(location, "arn:aws:s3:::") }

func failed(code, msg string) pipeline.Progress {
	return pipeline.Progress{Done: true, Status: model.ActionFailed, ErrorCode: code, ErrorMessage: msg}
}

// isClientError reports whether the API refused the request (4xx), which
// retrying will not mend.
func isClientError(err error) bool {
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500
}
