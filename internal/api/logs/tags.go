package logsapi

import (
	"context"
	"strconv"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/logs/logswire"
)

const maxTags = 50

func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return tooManyTags()
	}
	return nil
}

func tooManyTags() error {
	return api.Errorf(logswire.ErrTooManyTagsException, "A resource can have at most %d tags.", maxTags)
}

// resourceGroup resolves a taggable resource ARN to its log group.
func (h *Handler) resourceGroup(arn string) (string, error) {
	g, ok := h.groupFromARN(arn)
	if !ok {
		return "", invalidParameter("The specified resource ARN %q is not the ARN of a log group in this account and region.", arn)
	}
	if _, err := h.store.Group(g); err != nil {
		return "", mapError(err)
	}
	return g, nil
}

// tagGroup adds tags to a group, keeping it within the tag limit.
func (h *Handler) tagGroup(group string, tags map[string]string) error {
	g, err := h.store.Group(group)
	if err != nil {
		return mapError(err)
	}
	n := len(g.Tags)
	for k := range tags {
		if _, ok := g.Tags[k]; !ok {
			n++
		}
	}
	if n > maxTags {
		return tooManyTags()
	}
	return mapError(h.store.TagGroup(group, tags))
}

func (h *Handler) groupTags(group string) (map[string]string, error) {
	g, err := h.store.Group(group)
	if err != nil {
		return nil, mapError(err)
	}
	return g.Tags, nil
}

// TagResource adds tags to a log group given by ARN.
func (h *Handler) TagResource(_ context.Context, in *logswire.TagResourceRequest) (*struct{}, error) {
	g, err := h.resourceGroup(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, h.tagGroup(g, in.Tags)
}

// UntagResource removes tags from a log group given by ARN.
func (h *Handler) UntagResource(_ context.Context, in *logswire.UntagResourceRequest) (*struct{}, error) {
	g, err := h.resourceGroup(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, mapError(h.store.UntagGroup(g, in.TagKeys))
}

// ListTagsForResource lists the tags of a log group given by ARN.
func (h *Handler) ListTagsForResource(_ context.Context, in *logswire.ListTagsForResourceRequest) (*logswire.ListTagsForResourceResponse, error) {
	g, err := h.resourceGroup(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags, err := h.groupTags(g)
	if err != nil {
		return nil, err
	}
	return &logswire.ListTagsForResourceResponse{Tags: tags}, nil
}

// TagLogGroup is the older, name-based TagResource.
func (h *Handler) TagLogGroup(_ context.Context, in *logswire.TagLogGroupRequest) (*struct{}, error) {
	return nil, h.tagGroup(in.LogGroupName, in.Tags)
}

// UntagLogGroup is the older, name-based UntagResource.
func (h *Handler) UntagLogGroup(_ context.Context, in *logswire.UntagLogGroupRequest) (*struct{}, error) {
	return nil, mapError(h.store.UntagGroup(in.LogGroupName, in.Tags))
}

// ListTagsLogGroup is the older, name-based ListTagsForResource.
func (h *Handler) ListTagsLogGroup(_ context.Context, in *logswire.ListTagsLogGroupRequest) (*logswire.ListTagsLogGroupResponse, error) {
	tags, err := h.groupTags(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return &logswire.ListTagsLogGroupResponse{Tags: tags}, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
