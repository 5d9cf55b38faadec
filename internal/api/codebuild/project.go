package codebuild

import (
	"context"
	"errors"

	w "github.com/wharfhq/wharf/internal/api/codebuild/cbwire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// CodeBuild's defaults for a project's timeouts, in minutes.
const (
	defaultTimeout       = 60
	defaultQueuedTimeout = 480
)

// CreateProject implements CodeBuild CreateProject.
func (h *Handler) CreateProject(ctx context.Context, in *w.CreateProjectInput) (*w.CreateProjectOutput, error) {
	if err := checkProjectName(in.Name); err != nil {
		return nil, err
	}
	switch {
	case in.Source == nil:
		return nil, fieldError("source", "is required")
	case in.Artifacts == nil:
		return nil, fieldError("artifacts", "is required")
	case in.Environment == nil:
		return nil, fieldError("environment", "is required")
	}
	if err := checkNoSecondarySources(len(in.SecondarySources), "secondarySources"); err != nil {
		return nil, err
	}
	now := h.st.Now()
	p := &model.BuildProject{
		Name:               in.Name,
		ARN:                h.projectARN(in.Name),
		Description:        in.Description,
		Source:             sourceFromWire(in.Source),
		SourceVersion:      in.SourceVersion,
		Artifacts:          artifactsFromWire(in.Artifacts),
		SecondaryArtifacts: secondaryArtifactsFromWire(in.SecondaryArtifacts),
		Environment:        environmentFromWire(in.Environment),
		Cache:              cacheFromWire(in.Cache),
		ServiceRole:        in.ServiceRole,
		TimeoutInMinutes:   in.TimeoutInMinutes,
		QueuedTimeout:      in.QueuedTimeoutInMinutes,
		Logs:               logsFromWire(in.LogsConfig),
		Tags:               tagsFromWire(in.Tags),
		Created:            now,
		LastModified:       now,
	}
	if p.TimeoutInMinutes == 0 {
		p.TimeoutInMinutes = defaultTimeout
	}
	if p.QueuedTimeout == 0 {
		p.QueuedTimeout = defaultQueuedTimeout
	}
	if l := in.ConcurrentBuildLimit; l != nil {
		if *l < 1 {
			return nil, fieldError("concurrentBuildLimit", "must be at least 1")
		}
		p.ConcurrentLimit = *l
	}
	if err := checkProject(p); err != nil {
		return nil, err
	}
	if err := h.st.CreateBuildProject(ctx, p); err != nil {
		return nil, h.mapError(err, p.Name)
	}
	out := h.projectToWire(p)
	return &w.CreateProjectOutput{Project: &out}, nil
}

// UpdateProject implements CodeBuild UpdateProject: the members present in
// the request replace the project's; the others keep their values.
func (h *Handler) UpdateProject(ctx context.Context, in *w.UpdateProjectInput) (*w.UpdateProjectOutput, error) {
	name := h.projectName(in.Name)
	if err := checkNoSecondarySources(len(in.SecondarySources), "secondarySources"); err != nil {
		return nil, err
	}
	if l := in.ConcurrentBuildLimit; l != nil && *l < 1 && *l != -1 {
		return nil, fieldError("concurrentBuildLimit", "must be at least 1, or -1 to remove the limit")
	}
	now := h.st.Now()
	p, err := h.st.UpdateBuildProject(ctx, name, func(p *model.BuildProject) error {
		if in.Description != "" {
			p.Description = in.Description
		}
		if in.Source != nil {
			p.Source = sourceFromWire(in.Source)
		}
		if in.SourceVersion != "" {
			p.SourceVersion = in.SourceVersion
		}
		if in.Artifacts != nil {
			p.Artifacts = artifactsFromWire(in.Artifacts)
		}
		if in.SecondaryArtifacts != nil {
			p.SecondaryArtifacts = secondaryArtifactsFromWire(in.SecondaryArtifacts)
		}
		if in.Environment != nil {
			p.Environment = environmentFromWire(in.Environment)
		}
		if in.Cache != nil {
			p.Cache = cacheFromWire(in.Cache)
		}
		if in.ServiceRole != "" {
			p.ServiceRole = in.ServiceRole
		}
		if in.TimeoutInMinutes != 0 {
			p.TimeoutInMinutes = in.TimeoutInMinutes
		}
		if in.QueuedTimeoutInMinutes != 0 {
			p.QueuedTimeout = in.QueuedTimeoutInMinutes
		}
		if l := in.ConcurrentBuildLimit; l != nil {
			p.ConcurrentLimit = max(*l, 0)
		}
		if in.LogsConfig != nil {
			p.Logs = logsFromWire(in.LogsConfig)
		}
		if in.Tags != nil {
			p.Tags = tagsFromWire(in.Tags)
		}
		p.LastModified = now
		return checkProject(p)
	})
	if err != nil {
		return nil, h.mapError(err, name)
	}
	out := h.projectToWire(p)
	return &w.UpdateProjectOutput{Project: &out}, nil
}

// DeleteProject implements CodeBuild DeleteProject. Deleting a project that
// does not exist succeeds, as on AWS; the project's builds stay readable.
func (h *Handler) DeleteProject(ctx context.Context, in *w.DeleteProjectInput) (*w.DeleteProjectOutput, error) {
	err := h.st.DeleteBuildProject(ctx, h.projectName(in.Name))
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, h.mapError(err, in.Name)
	}
	return &w.DeleteProjectOutput{}, nil
}

// BatchGetProjects implements CodeBuild BatchGetProjects; names may be
// project names or ARNs.
func (h *Handler) BatchGetProjects(_ context.Context, in *w.BatchGetProjectsInput) (*w.BatchGetProjectsOutput, error) {
	out := &w.BatchGetProjectsOutput{Projects: []w.Project{}, ProjectsNotFound: []string{}}
	seen := map[string]bool{}
	for _, n := range in.Names {
		if seen[n] {
			continue
		}
		seen[n] = true
		p, ok := h.st.BuildProject(h.projectName(n))
		if !ok {
			out.ProjectsNotFound = append(out.ProjectsNotFound, n)
			continue
		}
		out.Projects = append(out.Projects, h.projectToWire(p))
	}
	return out, nil
}

// ListProjects implements CodeBuild ListProjects: by NAME (the default),
// CREATED_TIME or LAST_MODIFIED_TIME, ASCENDING unless told otherwise.
func (h *Handler) ListProjects(_ context.Context, in *w.ListProjectsInput) (*w.ListProjectsOutput, error) {
	projects := h.st.BuildProjects()
	entries := make([]entry, 0, len(projects))
	for _, p := range projects {
		key := p.Name
		switch in.SortBy {
		case w.ProjectSortByTypeCreatedTime:
			key = timeKey(p.Created, p.Name)
		case w.ProjectSortByTypeLastModifiedTime:
			key = timeKey(p.LastModified, p.Name)
		}
		entries = append(entries, entry{key: key, value: p.Name})
	}
	names, next, err := page(entries, in.SortOrder == w.SortOrderTypeDescending, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &w.ListProjectsOutput{Projects: names, NextToken: next}, nil
}
