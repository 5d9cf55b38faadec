package codepipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// maxTags is the number of tags a resource can have.
const maxTags = 50

// tagsFromWire checks a tag list (field names it) and converts it.
func tagsFromWire(in []w.Tag, field string) ([]model.Tag, error) {
	if len(in) > maxTags {
		return nil, api.Errorf(w.ErrTooManyTagsException, "%s: a resource can have at most %d tags", field, maxTags)
	}
	var out []model.Tag
	for i, t := range in {
		if err := checkTagKey(fmt.Sprintf("%s[%d].key", field, i), t.Key); err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o model.Tag) bool { return o.Key == t.Key }) {
			return nil, api.Errorf(w.ErrInvalidTagsException, "%s[%d].key: the tag key %s is given more than once", field, i, t.Key)
		}
		out = append(out, model.Tag{Key: t.Key, Value: t.Value})
	}
	return out, nil
}

func checkTagKey(field, key string) error {
	if strings.HasPrefix(strings.ToLower(key), "aws:") {
		return api.Errorf(w.ErrInvalidTagsException, "%s: tag keys starting with aws: are reserved for AWS", field)
	}
	return nil
}

func tagsToWire(tags []model.Tag) []w.Tag {
	out := []w.Tag{}
	for _, t := range tags {
		out = append(out, w.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

// pipelineOfARN returns the pipeline an ARN names, or the exception AWS
// answers for an ARN that is malformed or names no pipeline.
func (h *Handler) pipelineOfARN(s string) (string, error) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "codepipeline" || strings.Contains(a.Resource, "/") {
		return "", api.Errorf(w.ErrInvalidArnException, "The ARN %s is not the ARN of a pipeline (arn:aws:codepipeline:REGION:ACCOUNT:NAME)", s)
	}
	if a.Region != h.region || a.Account != h.account {
		return "", api.Errorf(w.ErrResourceNotFoundException, "The pipeline %s is not in this region and account (%s, %s)", s, h.region, h.account)
	}
	if _, ok := h.st.Pipeline(a.Resource); !ok {
		return "", api.Errorf(w.ErrResourceNotFoundException, "The resource with the ARN %s does not exist", s)
	}
	return a.Resource, nil
}

// tagError maps the error of a tag update: the pipeline was deleted
// meanwhile.
func (h *Handler) tagError(err error, resource string) error {
	if errors.Is(err, state.ErrNotFound) {
		return api.Errorf(w.ErrResourceNotFoundException, "The resource with the ARN %s does not exist", resource)
	}
	return h.mapError(err, resource)
}

// TagResource implements CodePipeline TagResource on pipelines: the tags
// are added, replacing the values of keys the pipeline has.
func (h *Handler) TagResource(ctx context.Context, in *w.TagResourceInput) (*w.TagResourceOutput, error) {
	name, err := h.pipelineOfARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	add, err := tagsFromWire(in.Tags, "tags")
	if err != nil {
		return nil, err
	}
	_, err = h.st.UpdatePipeline(ctx, name, func(p *model.Pipeline) error {
		for _, t := range add {
			if i := slices.IndexFunc(p.Tags, func(o model.Tag) bool { return o.Key == t.Key }); i >= 0 {
				p.Tags[i].Value = t.Value
			} else {
				p.Tags = append(p.Tags, t)
			}
		}
		if len(p.Tags) > maxTags {
			return api.Errorf(w.ErrTooManyTagsException, "tags: the pipeline would have %d tags; a resource can have at most %d", len(p.Tags), maxTags)
		}
		return nil
	})
	if err != nil {
		return nil, h.tagError(err, in.ResourceArn)
	}
	return &w.TagResourceOutput{}, nil
}

// UntagResource implements CodePipeline UntagResource on pipelines; keys
// the pipeline does not have are ignored.
func (h *Handler) UntagResource(ctx context.Context, in *w.UntagResourceInput) (*w.UntagResourceOutput, error) {
	name, err := h.pipelineOfARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	_, err = h.st.UpdatePipeline(ctx, name, func(p *model.Pipeline) error {
		p.Tags = slices.DeleteFunc(p.Tags, func(t model.Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
		return nil
	})
	if err != nil {
		return nil, h.tagError(err, in.ResourceArn)
	}
	return &w.UntagResourceOutput{}, nil
}

// ListTagsForResource implements CodePipeline ListTagsForResource on
// pipelines: every tag on one page.
func (h *Handler) ListTagsForResource(_ context.Context, in *w.ListTagsForResourceInput) (*w.ListTagsForResourceOutput, error) {
	name, err := h.pipelineOfARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	p, ok := h.st.Pipeline(name)
	if !ok {
		return nil, api.Errorf(w.ErrResourceNotFoundException, "The resource with the ARN %s does not exist", in.ResourceArn)
	}
	return &w.ListTagsForResourceOutput{Tags: tagsToWire(p.Tags)}, nil
}
