package codebuild

import (
	"context"
	"errors"

	w "github.com/wharfhq/wharf/internal/api/codebuild/cbwire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// Status codes of BatchDeleteBuilds' buildsNotDeleted.
const (
	statusBuildInProgress = "BUILD_IN_PROGRESS"
	statusBuildNotFound   = "BUILD_NOT_FOUND"
)

// BatchGetBuilds implements CodeBuild BatchGetBuilds; ids may be build ids
// or ARNs.
func (h *Handler) BatchGetBuilds(_ context.Context, in *w.BatchGetBuildsInput) (*w.BatchGetBuildsOutput, error) {
	out := &w.BatchGetBuildsOutput{Builds: []w.Build{}, BuildsNotFound: []string{}}
	seen := map[string]bool{}
	for _, id := range in.Ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		b, st, ok := h.st.Build(h.buildID(id))
		if !ok {
			out.BuildsNotFound = append(out.BuildsNotFound, id)
			continue
		}
		out.Builds = append(out.Builds, *h.buildToWire(b, st))
	}
	return out, nil
}

// ListBuilds implements CodeBuild ListBuilds: build ids, newest first
// unless sortOrder is ASCENDING, 100 a page.
func (h *Handler) ListBuilds(_ context.Context, in *w.ListBuildsInput) (*w.ListBuildsOutput, error) {
	ids, next, err := listBuilds(h.st.Builds(""), in.SortOrder, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &w.ListBuildsOutput{Ids: ids, NextToken: next}, nil
}

// ListBuildsForProject implements CodeBuild ListBuildsForProject.
func (h *Handler) ListBuildsForProject(_ context.Context, in *w.ListBuildsForProjectInput) (*w.ListBuildsForProjectOutput, error) {
	name := h.projectName(in.ProjectName)
	if _, ok := h.st.BuildProject(name); !ok {
		return nil, h.projectNotFound(name)
	}
	ids, next, err := listBuilds(h.st.Builds(name), in.SortOrder, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &w.ListBuildsForProjectOutput{Ids: ids, NextToken: next}, nil
}

func listBuilds(builds []*model.Build, order w.SortOrderType, token string) ([]string, string, error) {
	entries := make([]entry, 0, len(builds))
	for _, b := range builds {
		entries = append(entries, entry{key: timeKey(b.StartTime, b.ID), value: b.ID})
	}
	return page(entries, order != w.SortOrderTypeAscending, token)
}

// BatchDeleteBuilds implements CodeBuild BatchDeleteBuilds. Builds that
// are not complete are not deleted (BUILD_IN_PROGRESS), nor are unknown
// ids (BUILD_NOT_FOUND). Like CodeBuild, both lists name builds by ARN;
// an unknown id is echoed as given.
func (h *Handler) BatchDeleteBuilds(ctx context.Context, in *w.BatchDeleteBuildsInput) (*w.BatchDeleteBuildsOutput, error) {
	out := &w.BatchDeleteBuildsOutput{BuildsDeleted: []string{}, BuildsNotDeleted: []w.BuildNotDeleted{}}
	seen := map[string]bool{}
	for _, given := range in.Ids {
		id := h.buildID(given)
		if seen[id] {
			continue
		}
		seen[id] = true
		b, st, ok := h.st.Build(id)
		if !ok {
			out.BuildsNotDeleted = append(out.BuildsNotDeleted, w.BuildNotDeleted{Id: given, StatusCode: statusBuildNotFound})
			continue
		}
		if st != nil && !st.Complete {
			out.BuildsNotDeleted = append(out.BuildsNotDeleted, w.BuildNotDeleted{Id: b.ARN, StatusCode: statusBuildInProgress})
			continue
		}
		err := h.st.DeleteBuild(ctx, id)
		if errors.Is(err, state.ErrNotFound) {
			out.BuildsNotDeleted = append(out.BuildsNotDeleted, w.BuildNotDeleted{Id: given, StatusCode: statusBuildNotFound})
			continue
		}
		if err != nil {
			return nil, err
		}
		out.BuildsDeleted = append(out.BuildsDeleted, b.ARN)
	}
	return out, nil
}
