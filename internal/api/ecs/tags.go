package ecs

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// maxTags is ECS's limit of user tags per resource.
const maxTags = 50

// checkTags applies ECS's tag rules to a request's tags.
func checkTags(tags []ecswire.Tag) error {
	if len(tags) > maxTags {
		return invalidParameter("tags can have at most %d items.", maxTags)
	}
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		if t.Key == "" {
			return invalidParameter("tags[%d].key is required.", i)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return invalidParameter("tags[%d].key: the aws: prefix is reserved for AWS use.", i)
		}
		if seen[t.Key] {
			return invalidParameter("tags[%d].key: duplicate tag key %s.", i, t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// mergeTags adds or overwrites tags by key.
func mergeTags(old []model.Tag, add []model.Tag) []model.Tag {
	out := slices.Clone(old)
	for _, t := range add {
		if i := slices.IndexFunc(out, func(o model.Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

func removeTags(old []model.Tag, keys []string) []model.Tag {
	return slices.DeleteFunc(slices.Clone(old), func(t model.Tag) bool { return slices.Contains(keys, t.Key) })
}

func resourceNotFound(resource string) error {
	return api.Errorf(ecswire.ErrResourceNotFoundException, "The specified resource %s could not be found.", resource)
}

// taggable resolves a resource ARN to functions that read and change its tags.
type taggable struct {
	tags   []model.Tag
	update func(ctx context.Context, fn func([]model.Tag) []model.Tag) error
}

func (h *Handler) resolveTaggable(ref string) (*taggable, error) {
	a, err := arn.Parse(ref)
	if err != nil || a.Service != "ecs" {
		return nil, invalidParameter("resourceArn %s is not a valid ECS resource ARN.", ref)
	}
	parts := strings.Split(a.Resource, "/")
	switch a.Type() {
	case "cluster":
		if len(parts) != 2 {
			break
		}
		c, ok := h.st.ActiveCluster(parts[1])
		if !ok {
			return nil, resourceNotFound(ref)
		}
		return &taggable{tags: c.Tags, update: func(ctx context.Context, fn func([]model.Tag) []model.Tag) error {
			_, err := h.st.UpdateCluster(ctx, c.Name, func(c *model.Cluster) error { c.Tags = fn(c.Tags); return checkTagCount(c.Tags) })
			return err
		}}, nil
	case "task-definition":
		family, rev, err := state.ParseTaskDefinitionRef(ref)
		if err != nil || rev == 0 {
			break
		}
		td, ok := h.st.TaskDefinition(family, rev)
		if !ok || td.Status == model.TaskDefDeleteInProgress {
			return nil, resourceNotFound(ref)
		}
		return &taggable{tags: td.Tags, update: func(ctx context.Context, fn func([]model.Tag) []model.Tag) error {
			_, err := h.st.UpdateTaskDefinition(ctx, family, rev, func(td *model.TaskDefinition) error { td.Tags = fn(td.Tags); return checkTagCount(td.Tags) })
			return err
		}}, nil
	case "service":
		if len(parts) != 3 {
			break
		}
		svc, ok := h.st.Service(parts[1], parts[2])
		if !ok || h.serviceInactive(svc) {
			return nil, resourceNotFound(ref)
		}
		return &taggable{tags: svc.Tags, update: func(ctx context.Context, fn func([]model.Tag) []model.Tag) error {
			_, err := h.st.UpdateService(ctx, parts[1], parts[2], func(s *model.Service) error { s.Tags = fn(s.Tags); return checkTagCount(s.Tags) })
			return err
		}}, nil
	case "task":
		if len(parts) != 3 {
			break
		}
		t, ok := h.st.Task(parts[1], parts[2])
		if !ok {
			return nil, resourceNotFound(ref)
		}
		return &taggable{tags: t.Tags, update: func(ctx context.Context, fn func([]model.Tag) []model.Tag) error {
			_, err := h.st.UpdateTask(ctx, parts[1], parts[2], func(t *model.Task) error { t.Tags = fn(t.Tags); return checkTagCount(t.Tags) })
			return err
		}}, nil
	case "container-instance":
		if len(parts) != 3 {
			break
		}
		ci, ok := h.st.Instance(parts[1], parts[2])
		if !ok || ci.Status == model.InstanceInactive {
			return nil, resourceNotFound(ref)
		}
		return &taggable{tags: ci.Tags, update: func(ctx context.Context, fn func([]model.Tag) []model.Tag) error {
			_, err := h.st.UpdateInstance(ctx, parts[1], parts[2], func(ci *model.ContainerInstance) error { ci.Tags = fn(ci.Tags); return checkTagCount(ci.Tags) })
			return err
		}}, nil
	}
	return nil, invalidParameter("resourceArn %s is not a taggable ECS resource.", ref)
}

func checkTagCount(tags []model.Tag) error {
	if len(tags) > maxTags {
		return invalidParameter("A resource can have at most %d tags.", maxTags)
	}
	return nil
}

// TagResource adds tags to a resource, overwriting values of existing keys.
func (h *Handler) TagResource(ctx context.Context, in *ecswire.TagResourceRequest) (*ecswire.TagResourceResponse, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	r, err := h.resolveTaggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	add := tagsFromWire(in.Tags)
	if err := r.update(ctx, func(old []model.Tag) []model.Tag { return mergeTags(old, add) }); err != nil {
		return nil, h.tagUpdateError(in.ResourceArn, err)
	}
	return &ecswire.TagResourceResponse{}, nil
}

// UntagResource removes tags by key.
func (h *Handler) UntagResource(ctx context.Context, in *ecswire.UntagResourceRequest) (*ecswire.UntagResourceResponse, error) {
	r, err := h.resolveTaggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	for i, k := range in.TagKeys {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, invalidParameter("tagKeys[%d]: the aws: prefix is reserved for AWS use.", i)
		}
	}
	if err := r.update(ctx, func(old []model.Tag) []model.Tag { return removeTags(old, in.TagKeys) }); err != nil {
		return nil, h.tagUpdateError(in.ResourceArn, err)
	}
	return &ecswire.UntagResourceResponse{}, nil
}

// ListTagsForResource returns a resource's tags.
func (h *Handler) ListTagsForResource(_ context.Context, in *ecswire.ListTagsForResourceRequest) (*ecswire.ListTagsForResourceResponse, error) {
	r, err := h.resolveTaggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags := tagsToWire(r.tags)
	if tags == nil {
		tags = []ecswire.Tag{}
	}
	return &ecswire.ListTagsForResourceResponse{Tags: tags}, nil
}

func (h *Handler) tagUpdateError(ref string, err error) error {
	if errorsIsNotFound(err) {
		return resourceNotFound(ref)
	}
	return mapStateError(err)
}

func tagsFromWire(in []ecswire.Tag) []model.Tag {
	var out []model.Tag
	for _, t := range in {
		out = append(out, model.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func tagsToWire(in []model.Tag) []ecswire.Tag {
	var out []ecswire.Tag
	for _, t := range in {
		out = append(out, ecswire.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}
