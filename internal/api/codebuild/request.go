package codebuild

import (
	"encoding/json"

	"github.com/wharfhq/wharf/internal/api/codebuild/cbwire"
	"github.com/wharfhq/wharf/internal/model"
)

// The generated validators reject environment types outside the model's
// enum, and wharf adds LINUX_HOST. These wrappers decode like the generated
// requests and validate them with LINUX_HOST standing in as
// LINUX_CONTAINER for the duration of the check, so every other constraint
// of the model still applies. Each decodes straight into the embedded
// request, so that type errors name the member ("timeoutInMinutesOverride")
// and not the embedded struct.

type createProjectRequest struct{ cbwire.CreateProjectInput }

func (r *createProjectRequest) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &r.CreateProjectInput)
}

func (r *createProjectRequest) Validate() error {
	defer hostType(envType(r.Environment))()
	return r.CreateProjectInput.Validate()
}

type updateProjectRequest struct{ cbwire.UpdateProjectInput }

func (r *updateProjectRequest) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &r.UpdateProjectInput)
}

func (r *updateProjectRequest) Validate() error {
	defer hostType(envType(r.Environment))()
	return r.UpdateProjectInput.Validate()
}

type startBuildRequest struct{ cbwire.StartBuildInput }

func (r *startBuildRequest) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &r.StartBuildInput)
}

func (r *startBuildRequest) Validate() error {
	defer hostType(&r.EnvironmentTypeOverride)()
	return r.StartBuildInput.Validate()
}

func envType(env *cbwire.ProjectEnvironment) *cbwire.EnvironmentType {
	if env == nil {
		return nil
	}
	return &env.Type
}

// hostType replaces LINUX_HOST at t by LINUX_CONTAINER and returns the
// function that puts it back.
func hostType(t *cbwire.EnvironmentType) func() {
	if t == nil || *t != model.EnvLinuxHost {
		return func() {}
	}
	*t = cbwire.EnvironmentTypeLinuxContainer
	return func() { *t = model.EnvLinuxHost }
}
