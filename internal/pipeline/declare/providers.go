package declare

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/model"
)

// Action providers wharf runs, as Category/Owner/Provider/Version.
const (
	TypeCodeCommitSource = "Source/AWS/CodeCommit/1"
	TypeCodeStarSource   = "Source/AWS/CodeStarSourceConnection/1"
	TypeCodeBuildBuild   = "Build/AWS/CodeBuild/1"
	TypeCodeBuildTest    = "Test/AWS/CodeBuild/1"
	TypeManualApproval   = "Approval/AWS/Manual/1"
	TypeECSDeploy        = "Deploy/AWS/ECS/1"
)

// Manual approval timeouts in minutes: the default (and largest) is seven
// days.
const (
	MinApprovalTimeout     = 5
	DefaultApprovalTimeout = 10080
)

// providerSpec is what CodePipeline requires of one action type: its
// artifact counts and configuration keys, and its own value checks.
type providerSpec struct {
	minIn, maxIn, minOut, maxOut int
	required                     []string
	optional                     []string
	check                        func(a model.PipelineAction, field string) *Error
}

var providers = map[string]providerSpec{
	TypeCodeCommitSource: {
		minIn: 0, maxIn: 0, minOut: 1, maxOut: 1,
		required: []string{"RepositoryName", "BranchName"},
		optional: []string{"PollForSourceChanges", "OutputArtifactFormat"},
		check:    checkCodeCommit,
	},
	// GitHub, GitLab and Bitbucket through a connection; in wharf
	// FullRepositoryId may be the repository's git URL (see
	// internal/pipeline/providers/gitsource).
	TypeCodeStarSource: {
		minIn: 0, maxIn: 0, minOut: 1, maxOut: 1,
		required: []string{"ConnectionArn", "FullRepositoryId", "BranchName"},
		optional: []string{"OutputArtifactFormat", "DetectChanges"},
		check:    checkCodeStarSource,
	},
	TypeCodeBuildBuild: codeBuild,
	TypeCodeBuildTest:  codeBuild,
	TypeManualApproval: {
		minIn: 0, maxIn: 0, minOut: 0, maxOut: 0,
		optional: []string{"NotificationArn", "CustomData", "ExternalEntityLink"},
		check:    checkManualApproval,
	},
	TypeECSDeploy: {
		minIn: 1, maxIn: 1, minOut: 0, maxOut: 0,
		required: []string{"ClusterName", "ServiceName"},
		optional: []string{"FileName", "DeploymentTimeout"},
		check:    checkECS,
	},
}

var codeBuild = providerSpec{
	minIn: 1, maxIn: 5, minOut: 0, maxOut: 5,
	required: []string{"ProjectName"},
	optional: []string{"PrimarySource", "BatchEnabled", "CombineArtifacts", "EnvironmentVariables"},
	check:    checkCodeBuild,
}

// TypeKey names an action's type as Category/Owner/Provider/Version.
func TypeKey(a model.PipelineAction) string {
	return a.Category + "/" + a.Owner + "/" + a.Provider + "/" + a.Version
}

// Supported returns the action types wharf runs, sorted.
func Supported() []string {
	return slices.Sorted(maps.Keys(providers))
}

// IsSource reports whether an action is a source action.
func IsSource(a model.PipelineAction) bool { return a.Category == string(w.ActionCategorySource) }

// IsManualApproval reports whether an action is a manual approval.
func IsManualApproval(a model.PipelineAction) bool { return TypeKey(a) == TypeManualApproval }

// checkProvider checks an action against its provider's rules.
func checkProvider(a model.PipelineAction, field string) *Error {
	spec, ok := providers[TypeKey(a)]
	if !ok {
		return &Error{Code: w.ErrInvalidActionDeclarationException, Field: field + ".actionTypeId",
			Message: fmt.Sprintf("ActionType (Category: '%s', Provider: '%s', Owner: '%s', Version: '%s') is not available: "+
				"wharf runs only the action types %s", a.Category, a.Provider, a.Owner, a.Version, strings.Join(Supported(), ", "))}
	}
	if err := count(a.Name, "input", len(a.InputArtifacts), spec.minIn, spec.maxIn, field+".inputArtifacts"); err != nil {
		return err
	}
	if err := count(a.Name, "output", len(a.OutputArtifacts), spec.minOut, spec.maxOut, field+".outputArtifacts"); err != nil {
		return err
	}
	for _, k := range spec.required {
		if a.Configuration[k] == "" {
			return actionErr(field+".configuration", "Action configuration for action '%s' is missing required configuration '%s'", a.Name, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.Configuration)) {
		if !slices.Contains(spec.required, k) && !slices.Contains(spec.optional, k) {
			return actionErr(field+".configuration."+k, "Action configuration for action '%s' contains unknown configuration '%s'", a.Name, k)
		}
	}
	if spec.check != nil {
		return spec.check(a, field)
	}
	return nil
}

func count(action, kind string, n, lo, hi int, field string) *Error {
	switch {
	case n < lo:
		return actionErr(field, "Action %s declares %d %s artifacts which is less than the minimum count (%d)", action, n, kind, lo)
	case n > hi:
		return actionErr(field, "Action %s declares %d %s artifacts which is more than the maximum count (%d)", action, n, kind, hi)
	}
	return nil
}

// literal reports whether a configuration value holds no variable
// reference, so that its final value can be checked now.
func literal(v string) bool { return !strings.Contains(v, "#{") }

func oneOf(a model.PipelineAction, field, key string, allowed ...string) *Error {
	v, ok := a.Configuration[key]
	if !ok || !literal(v) || slices.Contains(allowed, v) {
		return nil
	}
	return actionErr(field+".configuration."+key, "Action configuration for action '%s' has an invalid value for '%s': %q is not one of %s",
		a.Name, key, v, strings.Join(allowed, ", "))
}

func checkCodeCommit(a model.PipelineAction, field string) *Error {
	if err := oneOf(a, field, "PollForSourceChanges", "true", "false"); err != nil {
		return err
	}
	return oneOf(a, field, "OutputArtifactFormat", "CODE_ZIP", "CODEBUILD_CLONE_REF")
}

func checkCodeStarSource(a model.PipelineAction, field string) *Error {
	if err := oneOf(a, field, "DetectChanges", "true", "false"); err != nil {
		return err
	}
	return oneOf(a, field, "OutputArtifactFormat", "CODE_ZIP", "CODEBUILD_CLONE_REF")
}

func checkCodeBuild(a model.PipelineAction, field string) *Error {
	primary, hasPrimary := a.Configuration["PrimarySource"]
	if len(a.InputArtifacts) > 1 && !hasPrimary {
		return actionErr(field+".configuration", "Action configuration for action '%s' is missing required configuration 'PrimarySource': "+
			"it is required when the action has more than one input artifact", a.Name)
	}
	if hasPrimary && literal(primary) && !slices.Contains(a.InputArtifacts, primary) {
		return actionErr(field+".configuration.PrimarySource", "Action configuration for action '%s' has an invalid value for 'PrimarySource': "+
			"%q is not one of the action's input artifacts", a.Name, primary)
	}
	for _, k := range []string{"BatchEnabled", "CombineArtifacts"} {
		if err := oneOf(a, field, k, "true", "false"); err != nil {
			return err
		}
	}
	if a.Configuration["BatchEnabled"] == "true" {
		return actionErr(field+".configuration.BatchEnabled", "Action configuration for action '%s': batch builds are not supported by wharf", a.Name)
	}
	if v, ok := a.Configuration["EnvironmentVariables"]; ok {
		return checkEnvironmentVariables(a.Name, v, field+".configuration.EnvironmentVariables")
	}
	return nil
}

// checkEnvironmentVariables checks CodeBuild's EnvironmentVariables: a JSON
// array of {name, value, type}. Variable references inside the strings are
// resolved later and checked like any other.
func checkEnvironmentVariables(action, v, field string) *Error {
	var vars []struct {
		Name  *string `json:"name"`
		Value *string `json:"value"`
		Type  string  `json:"type"`
	}
	bad := func(format string, args ...any) *Error {
		return actionErr(field, "Action configuration for action '%s' has an invalid value for 'EnvironmentVariables': %s", action, fmt.Sprintf(format, args...))
	}
	if err := json.Unmarshal([]byte(v), &vars); err != nil {
		return bad("it must be a JSON array of {\"name\", \"value\", \"type\"} objects (%v)", err)
	}
	for i, e := range vars {
		switch {
		case e.Name == nil || *e.Name == "":
			return bad("element %d has no name", i)
		case e.Value == nil:
			return bad("variable %s has no value", *e.Name)
		case e.Type != "" && e.Type != "PLAINTEXT" && e.Type != "PARAMETER_STORE" && e.Type != "SECRETS_MANAGER":
			return bad("variable %s has type %q; the types are PLAINTEXT, PARAMETER_STORE and SECRETS_MANAGER", *e.Name, e.Type)
		}
	}
	return nil
}

func checkManualApproval(a model.PipelineAction, field string) *Error {
	if v, ok := a.Configuration["NotificationArn"]; ok && literal(v) {
		parts := strings.SplitN(v, ":", 6)
		if len(parts) != 6 || parts[0] != "arn" || parts[5] == "" {
			return actionErr(field+".configuration.NotificationArn",
				"The ARN %s you specified for sending notifications for the approval action %s contains a format error.", v, a.Name)
		}
		if parts[2] != "sns" {
			return actionErr(field+".configuration.NotificationArn", "The ARN %s has been specified for sending notifications for the approval action %s, "+
				"but the AWS service for this ARN cannot be used to send approval requests.", v, a.Name)
		}
	}
	return nil
}

func checkECS(a model.PipelineAction, field string) *Error {
	if v, ok := a.Configuration["DeploymentTimeout"]; ok && literal(v) {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 60 {
			return actionErr(field+".configuration.DeploymentTimeout",
				"Action configuration for action '%s' has an invalid value for 'DeploymentTimeout': %q is not a number of minutes from 1 to 60", a.Name, v)
		}
	}
	return nil
}
