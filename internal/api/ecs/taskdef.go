package ecs

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// RegisterTaskDefinition validates a task definition and stores it as the
// family's next revision.
func (h *Handler) RegisterTaskDefinition(ctx context.Context, in *ecswire.RegisterTaskDefinitionRequest) (*ecswire.RegisterTaskDefinitionResponse, error) {
	if err := validateTaskDefinition(in); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	td, err := taskDefFromWire(in)
	if err != nil {
		return nil, err
	}
	td.Tags = tagsFromWire(in.Tags)
	td.RegisteredBy = h.rootPrincipal()
	stored, err := h.st.RegisterTaskDefinition(ctx, td)
	if err != nil {
		return nil, mapStateError(err)
	}
	return &ecswire.RegisterTaskDefinitionResponse{TaskDefinition: taskDefToWire(stored), Tags: tagsToWire(stored.Tags)}, nil
}

// lookupTaskDefinition resolves "family" (latest ACTIVE revision),
// "family:revision" or an ARN (that revision in any status).
func (h *Handler) lookupTaskDefinition(ref string) (*model.TaskDefinition, error) {
	family, rev, err := state.ParseTaskDefinitionRef(ref)
	if err != nil {
		return nil, clientError("Unable to describe task definition.")
	}
	var td *model.TaskDefinition
	var ok bool
	if rev == 0 {
		td, ok = h.st.LatestActiveTaskDefinition(family)
	} else {
		td, ok = h.st.TaskDefinition(family, rev)
	}
	if !ok {
		return nil, clientError("Unable to describe task definition.")
	}
	return td, nil
}

// DescribeTaskDefinition describes one revision.
func (h *Handler) DescribeTaskDefinition(_ context.Context, in *ecswire.DescribeTaskDefinitionRequest) (*ecswire.DescribeTaskDefinitionResponse, error) {
	td, err := h.lookupTaskDefinition(in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	out := &ecswire.DescribeTaskDefinitionResponse{TaskDefinition: taskDefToWire(td)}
	if slices.Contains(in.Include, ecswire.TaskDefinitionFieldTags) {
		out.Tags = tagsToWire(td.Tags)
		if out.Tags == nil {
			out.Tags = []ecswire.Tag{}
		}
	}
	return out, nil
}

// ListTaskDefinitions lists revision ARNs; familyPrefix is, as in ECS, a
// whole family name. Pages are read from the ordered cache, so a page costs
// O(log n + page size) however many revisions exist.
func (h *Handler) ListTaskDefinitions(_ context.Context, in *ecswire.ListTaskDefinitionsRequest) (*ecswire.ListTaskDefinitionsResponse, error) {
	status := string(in.Status)
	if status == "" {
		status = model.TaskDefActive
	}
	size := defaultPageSize
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxPageSize {
			return nil, invalidParameter("maxResults must be between 1 and %d.", maxPageSize)
		}
		size = int(*in.MaxResults)
	}
	after := ""
	if in.NextToken != "" {
		var err error
		if after, err = decodeToken("ListTaskDefinitions", in.NextToken); err != nil {
			return nil, err
		}
	}
	out := &ecswire.ListTaskDefinitionsResponse{TaskDefinitionArns: make([]string, 0, size)}
	var lastKey string
	more := false
	h.st.ScanTaskDefinitions(in.FamilyPrefix, after, in.Sort == ecswire.SortOrderDesc, func(key string, td *model.TaskDefinition) bool {
		if td.Status != status {
			return true
		}
		if len(out.TaskDefinitionArns) == size {
			more = true
			return false
		}
		out.TaskDefinitionArns = append(out.TaskDefinitionArns, td.ARN)
		lastKey = key
		return true
	})
	if more {
		out.NextToken = encodeToken("ListTaskDefinitions", lastKey)
	}
	return out, nil
}

// ListTaskDefinitionFamilies lists family names starting with familyPrefix.
// Without status, both ACTIVE and INACTIVE families are listed.
func (h *Handler) ListTaskDefinitionFamilies(_ context.Context, in *ecswire.ListTaskDefinitionFamiliesRequest) (*ecswire.ListTaskDefinitionFamiliesResponse, error) {
	var names []string
	for _, f := range h.st.Families(in.FamilyPrefix) {
		if !strings.HasPrefix(f.Family, in.FamilyPrefix) {
			continue
		}
		switch in.Status {
		case ecswire.TaskDefinitionFamilyStatusActive:
			if !f.HasActive {
				continue
			}
		case ecswire.TaskDefinitionFamilyStatusInactive:
			if f.HasActive {
				continue
			}
		}
		names = append(names, f.Family)
	}
	page, next, err := paginate("ListTaskDefinitionFamilies", names, in.MaxResults, in.NextToken, defaultPageSize)
	if err != nil {
		return nil, err
	}
	return &ecswire.ListTaskDefinitionFamiliesResponse{Families: append([]string{}, page...), NextToken: next}, nil
}

// DeregisterTaskDefinition marks a revision INACTIVE. ECS requires an
// explicit revision.
func (h *Handler) DeregisterTaskDefinition(ctx context.Context, in *ecswire.DeregisterTaskDefinitionRequest) (*ecswire.DeregisterTaskDefinitionResponse, error) {
	family, rev, err := state.ParseTaskDefinitionRef(in.TaskDefinition)
	if err != nil || rev == 0 {
		return nil, clientError("Invalid revision number. Number: %s", revisionText(in.TaskDefinition))
	}
	if _, ok := h.st.TaskDefinition(family, rev); !ok {
		return nil, clientError("The specified task definition does not exist.")
	}
	td, err := h.st.DeregisterTaskDefinition(ctx, family, rev)
	if err != nil {
		if errorsIsNotFound(err) {
			return nil, clientError("The specified task definition does not exist.")
		}
		if strings.Contains(err.Error(), state.ErrInvalidState.Error()) {
			return nil, clientError("The specified task definition is being deleted.")
		}
		return nil, mapStateError(err)
	}
	return &ecswire.DeregisterTaskDefinitionResponse{TaskDefinition: taskDefToWire(td)}, nil
}

func revisionText(ref string) string {
	if _, r, ok := strings.Cut(ref, ":"); ok && !strings.HasPrefix(ref, "arn:") {
		return r
	}
	return "missing"
}

// DeleteTaskDefinitions marks INACTIVE revisions DELETE_IN_PROGRESS; the
// rest are reported in failures. Revisions are purged once unused.
func (h *Handler) DeleteTaskDefinitions(ctx context.Context, in *ecswire.DeleteTaskDefinitionsRequest) (*ecswire.DeleteTaskDefinitionsResponse, error) {
	if len(in.TaskDefinitions) > 10 {
		return nil, invalidParameter("taskDefinitions can have at most 10 items.")
	}
	out := &ecswire.DeleteTaskDefinitionsResponse{TaskDefinitions: []ecswire.TaskDefinition{}, Failures: []ecswire.Failure{}}
	for _, ref := range in.TaskDefinitions {
		family, rev, err := state.ParseTaskDefinitionRef(ref)
		if err != nil || rev == 0 {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: ref, Reason: "The specified task definition identifier is invalid. Specify a valid name or ARN and try again."})
			continue
		}
		cur, ok := h.st.TaskDefinition(family, rev)
		if !ok {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: h.st.ARNs.TaskDefinition(family, rev), Reason: "TASK_DEFINITION_NOT_FOUND", Detail: "The specified task definition does not exist."})
			continue
		}
		if cur.Status == model.TaskDefActive {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: cur.ARN, Reason: "TASK_DEFINITION_NOT_INACTIVE",
				Detail: "The specified task definition is ACTIVE. Deregister it before deleting it."})
			continue
		}
		td, err := h.st.DeleteTaskDefinition(ctx, family, rev)
		if err != nil {
			return nil, mapStateError(err)
		}
		out.TaskDefinitions = append(out.TaskDefinitions, *taskDefToWire(td))
	}
	return out, nil
}
