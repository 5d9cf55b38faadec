package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
)

// maxCustomAttributes is ECS's limit of custom attributes per resource.
const maxCustomAttributes = 10

// builtinAttribute reports whether an attribute is set by the agent rather
// than by users; built-in attributes do not count toward the limit.
func builtinAttribute(name string) bool {
	return strings.HasPrefix(name, "ecs.") || strings.HasPrefix(name, "com.amazonaws.ecs.")
}

func checkAttributeName(field, name string) error {
	if name == "" || len(name) > 128 {
		return invalidParameter("%s must be 1-128 characters.", field)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./\\", c)) {
			return invalidParameter("%s may contain only letters, numbers, hyphens, underscores, periods and slashes.", field)
		}
	}
	return nil
}

func checkAttributeValue(field, value string) error {
	if value == "" {
		return nil
	}
	if len(value) > 128 {
		return invalidParameter("%s must be at most 128 characters.", field)
	}
	if strings.TrimSpace(value) != value {
		return invalidParameter("%s must not begin or end with whitespace.", field)
	}
	for _, c := range value {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.@/\\: ", c)) {
			return invalidParameter("%s may contain only letters, numbers, hyphens, underscores, periods, at signs, slashes, colons and spaces.", field)
		}
	}
	return nil
}

func setAttribute(attrs []model.Attribute, a model.Attribute) []model.Attribute {
	if i := slices.IndexFunc(attrs, func(o model.Attribute) bool { return o.Name == a.Name }); i >= 0 {
		attrs[i] = a
		return attrs
	}
	return append(attrs, a)
}

func targetNotFound(id string) error {
	return api.Errorf(ecswire.ErrTargetNotFoundException, "Could not find the target %s.", id)
}

// attributeTargets groups attributes by the container instance they name.
func (h *Handler) attributeTargets(clusterName string, attrs []ecswire.Attribute, checkValues bool) (map[string][]ecswire.Attribute, []string, error) {
	byID := make(map[string][]ecswire.Attribute)
	var order []string
	for i, a := range attrs {
		if err := checkAttributeName(fmt.Sprintf("attributes[%d].name", i), a.Name); err != nil {
			return nil, nil, err
		}
		if checkValues {
			if err := checkAttributeValue(fmt.Sprintf("attributes[%d].value", i), a.Value); err != nil {
				return nil, nil, err
			}
		}
		if a.TargetType != "" && a.TargetType != ecswire.TargetTypeContainerInstance {
			return nil, nil, invalidParameter("attributes[%d].targetType must be container-instance.", i)
		}
		if a.TargetId == "" {
			return nil, nil, invalidParameter("attributes[%d].targetId is required.", i)
		}
		id, ok := instanceID(a.TargetId, clusterName)
		if !ok {
			return nil, nil, targetNotFound(a.TargetId)
		}
		if ci, ok := h.st.Instance(clusterName, id); !ok || ci.Status == model.InstanceInactive {
			return nil, nil, targetNotFound(a.TargetId)
		}
		if _, seen := byID[id]; !seen {
			order = append(order, id)
		}
		byID[id] = append(byID[id], a)
	}
	return byID, order, nil
}

// PutAttributes creates or updates attributes on container instances.
func (h *Handler) PutAttributes(ctx context.Context, in *ecswire.PutAttributesRequest) (*ecswire.PutAttributesResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	byID, order, err := h.attributeTargets(c.Name, in.Attributes, true)
	if err != nil {
		return nil, err
	}
	for _, id := range order {
		_, err := h.st.UpdateInstance(ctx, c.Name, id, func(ci *model.ContainerInstance) error {
			for _, a := range byID[id] {
				ci.Attributes = setAttribute(ci.Attributes, model.Attribute{Name: a.Name, Value: a.Value})
			}
			custom := 0
			for _, a := range ci.Attributes {
				if !builtinAttribute(a.Name) {
					custom++
				}
			}
			if custom > maxCustomAttributes {
				return api.Errorf(ecswire.ErrAttributeLimitExceededException,
					"You can apply up to %d custom attributes per resource.", maxCustomAttributes)
			}
			return nil
		})
		if err != nil {
			return nil, mapStateError(err)
		}
	}
	return &ecswire.PutAttributesResponse{Attributes: h.echoAttributes(c.Name, in.Attributes)}, nil
}

// DeleteAttributes removes attributes from container instances.
func (h *Handler) DeleteAttributes(ctx context.Context, in *ecswire.DeleteAttributesRequest) (*ecswire.DeleteAttributesResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	byID, order, err := h.attributeTargets(c.Name, in.Attributes, false)
	if err != nil {
		return nil, err
	}
	for _, id := range order {
		_, err := h.st.UpdateInstance(ctx, c.Name, id, func(ci *model.ContainerInstance) error {
			ci.Attributes = slices.DeleteFunc(ci.Attributes, func(o model.Attribute) bool {
				return slices.ContainsFunc(byID[id], func(a ecswire.Attribute) bool { return a.Name == o.Name })
			})
			return nil
		})
		if err != nil {
			return nil, mapStateError(err)
		}
	}
	return &ecswire.DeleteAttributesResponse{Attributes: h.echoAttributes(c.Name, in.Attributes)}, nil
}

// echoAttributes returns the request's attributes with full target ARNs.
func (h *Handler) echoAttributes(clusterName string, attrs []ecswire.Attribute) []ecswire.Attribute {
	out := make([]ecswire.Attribute, 0, len(attrs))
	for _, a := range attrs {
		id, _ := instanceID(a.TargetId, clusterName)
		a.TargetId = h.st.ARNs.ContainerInstance(clusterName, id)
		a.TargetType = ecswire.TargetTypeContainerInstance
		out = append(out, a)
	}
	return out
}

// ListAttributes lists the attributes of a cluster's container instances.
func (h *Handler) ListAttributes(_ context.Context, in *ecswire.ListAttributesRequest) (*ecswire.ListAttributesResponse, error) {
	c, err := h.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.AttributeValue != "" && in.AttributeName == "" {
		return nil, invalidParameter("attributeName is required when attributeValue is specified.")
	}
	type item struct {
		key  string
		attr ecswire.Attribute
	}
	var items []item
	for _, ci := range h.st.Instances(c.Name) {
		if ci.Status == model.InstanceInactive {
			continue
		}
		for _, a := range ci.Attributes {
			if in.AttributeName != "" && a.Name != in.AttributeName {
				continue
			}
			if in.AttributeValue != "" && a.Value != in.AttributeValue {
				continue
			}
			items = append(items, item{key: ci.ID + "\x00" + a.Name, attr: ecswire.Attribute{
				Name: a.Name, Value: a.Value, TargetType: ecswire.TargetTypeContainerInstance, TargetId: ci.ARN}})
		}
	}
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.key, b.key) })
	keys := make([]string, len(items))
	byKey := make(map[string]ecswire.Attribute, len(items))
	for i, it := range items {
		keys[i] = it.key
		byKey[it.key] = it.attr
	}
	page, next, err := paginate("ListAttributes", keys, in.MaxResults, in.NextToken, defaultPageSize)
	if err != nil {
		return nil, err
	}
	out := &ecswire.ListAttributesResponse{Attributes: []ecswire.Attribute{}, NextToken: next}
	for _, k := range page {
		out.Attributes = append(out.Attributes, byKey[k])
	}
	return out, nil
}
