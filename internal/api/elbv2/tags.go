package elbv2

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/elbv2/elbv2wire"
	"github.com/wharfhq/wharf/internal/model"
)

// maxTags is ELB's limit of tags per resource.
const maxTags = 50

// tagsFromWire checks a request's tags (no duplicate keys, no aws:
// prefix, at most 50) and converts them.
func tagsFromWire(tags []elbv2wire.Tag) ([]model.Tag, error) {
	if len(tags) > maxTags {
		return nil, api.Errorf(elbv2wire.ErrTooManyTagsException, "You've reached the limit on the number of tags per resource (%d)", maxTags)
	}
	out := make([]model.Tag, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		if seen[t.Key] {
			return nil, api.Errorf(elbv2wire.ErrDuplicateTagKeysException, "Tag key '%s' is specified more than once", t.Key)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return nil, validationError("Tag keys starting with 'aws:' are reserved for AWS use")
		}
		seen[t.Key] = true
		out = append(out, model.Tag{Key: t.Key, Value: t.Value})
	}
	return out, nil
}

func tagsToWire(tags []model.Tag) []elbv2wire.Tag {
	out := make([]elbv2wire.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, elbv2wire.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func mergeTags(old, add []model.Tag) ([]model.Tag, error) {
	out := slices.Clone(old)
	for _, t := range add {
		if i := slices.IndexFunc(out, func(o model.Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		return nil, api.Errorf(elbv2wire.ErrTooManyTagsException, "You've reached the limit on the number of tags per resource (%d)", maxTags)
	}
	return out, nil
}

// taggable is a resource whose tags can be read and changed.
type taggable struct {
	tags   []model.Tag
	update func(ctx context.Context, fn func([]model.Tag) ([]model.Tag, error)) error
}

func (h *Handler) resolveTaggable(ref string) (*taggable, error) {
	r, ok := h.st.ParseELBARN(ref)
	if !ok {
		return nil, validationError("'%s' is not a valid load balancer, target group, listener or rule ARN", ref)
	}
	switch r.Kind {
	case "loadbalancer":
		lb, ok := h.st.LoadBalancerByARN(ref)
		if !ok {
			return nil, lbNotFound()
		}
		return &taggable{tags: lb.Tags, update: func(ctx context.Context, fn func([]model.Tag) ([]model.Tag, error)) error {
			_, err := h.st.UpdateLoadBalancer(ctx, lb.Name, func(l *model.LoadBalancer) (err error) { l.Tags, err = fn(l.Tags); return })
			return err
		}}, nil
	case "targetgroup":
		tg, ok := h.st.TargetGroupByARN(ref)
		if !ok {
			return nil, tgNotFound()
		}
		return &taggable{tags: tg.Tags, update: func(ctx context.Context, fn func([]model.Tag) ([]model.Tag, error)) error {
			_, err := h.st.UpdateTargetGroup(ctx, tg.Name, func(t *model.TargetGroup) (err error) { t.Tags, err = fn(t.Tags); return })
			return err
		}}, nil
	case "listener":
		l, ok := h.st.ListenerByARN(ref)
		if !ok {
			return nil, listenerNotFound()
		}
		return &taggable{tags: l.Tags, update: func(ctx context.Context, fn func([]model.Tag) ([]model.Tag, error)) error {
			_, err := h.st.UpdateListener(ctx, ref, func(l *model.Listener, _ []*model.Listener) (err error) { l.Tags, err = fn(l.Tags); return })
			return err
		}}, nil
	default:
		rule, ok := h.st.RuleByARN(ref)
		if !ok {
			if l, ok := h.defaultRuleListener(ref); ok {
				return &taggable{tags: nil, update: func(context.Context, func([]model.Tag) ([]model.Tag, error)) error {
					return api.Errorf(elbv2wire.ErrOperationNotPermittedException, "Default rule '%s' cannot be tagged", l.ARN)
				}}, nil
			}
			return nil, ruleNotFound()
		}
		return &taggable{tags: rule.Tags, update: func(ctx context.Context, fn func([]model.Tag) ([]model.Tag, error)) error {
			_, err := h.st.UpdateRules(ctx, []string{ref}, func(m map[string]*model.Rule) (err error) {
				m[ref].Tags, err = fn(m[ref].Tags)
				return
			}, func(map[string][]*model.Rule) error { return nil })
			return err
		}}, nil
	}
}

// AddTags adds or overwrites tags of one or more resources.
func (h *Handler) AddTags(ctx context.Context, in *elbv2wire.AddTagsInput) (*elbv2wire.AddTagsOutput, error) {
	add, err := tagsFromWire(in.Tags)
	if err != nil {
		return nil, err
	}
	var targets []*taggable
	for _, ref := range in.ResourceArns {
		t, err := h.resolveTaggable(ref)
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	for _, t := range targets {
		if err := t.update(ctx, func(old []model.Tag) ([]model.Tag, error) { return mergeTags(old, add) }); err != nil {
			return nil, mapStateError(err)
		}
	}
	return &elbv2wire.AddTagsOutput{}, nil
}

// RemoveTags removes tags by key from one or more resources.
func (h *Handler) RemoveTags(ctx context.Context, in *elbv2wire.RemoveTagsInput) (*elbv2wire.RemoveTagsOutput, error) {
	var targets []*taggable
	for _, ref := range in.ResourceArns {
		t, err := h.resolveTaggable(ref)
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	for _, t := range targets {
		err := t.update(ctx, func(old []model.Tag) ([]model.Tag, error) {
			return slices.DeleteFunc(slices.Clone(old), func(t model.Tag) bool { return slices.Contains(in.TagKeys, t.Key) }), nil
		})
		if err != nil {
			return nil, mapStateError(err)
		}
	}
	return &elbv2wire.RemoveTagsOutput{}, nil
}

// DescribeTags returns the tags of up to 20 resources.
func (h *Handler) DescribeTags(_ context.Context, in *elbv2wire.DescribeTagsInput) (*elbv2wire.DescribeTagsOutput, error) {
	out := &elbv2wire.DescribeTagsOutput{TagDescriptions: []elbv2wire.TagDescription{}}
	for _, ref := range in.ResourceArns {
		t, err := h.resolveTaggable(ref)
		if err != nil {
			return nil, err
		}
		out.TagDescriptions = append(out.TagDescriptions, elbv2wire.TagDescription{ResourceArn: ref, Tags: tagsToWire(t.tags)})
	}
	return out, nil
}
