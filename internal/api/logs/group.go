package logsapi

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api/logs/logswire"
	"github.com/wharfhq/wharf/internal/logs"
)

// CreateLogGroup creates a log group.
func (h *Handler) CreateLogGroup(_ context.Context, in *logswire.CreateLogGroupRequest) (*struct{}, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if _, err := h.store.CreateGroup(in.LogGroupName, 0, in.Tags); err != nil {
		return nil, mapError(err)
	}
	return nil, nil
}

// describeGroupsLimit is the default and maximum page size of DescribeLogGroups.
const describeGroupsLimit = 50

// DescribeLogGroups lists log groups by name, filtered by prefix, pattern
// (case-sensitive substring) or identifiers.
func (h *Handler) DescribeLogGroups(_ context.Context, in *logswire.DescribeLogGroupsRequest) (*describeLogGroupsResponse, error) {
	if in.LogGroupNamePrefix != "" && in.LogGroupNamePattern != "" {
		return nil, invalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	if len(in.LogGroupIdentifiers) > 0 && (in.LogGroupNamePrefix != "" || in.LogGroupNamePattern != "") {
		return nil, invalidParameter("logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern.")
	}
	var want []string
	for _, id := range in.LogGroupIdentifiers {
		if g, ok := h.groupFromARN(id); ok {
			want = append(want, g)
		} else {
			want = append(want, id)
		}
	}
	var groups []logs.Group
	for _, g := range h.store.Groups() {
		switch {
		case !strings.HasPrefix(g.Name, in.LogGroupNamePrefix):
		case !strings.Contains(g.Name, in.LogGroupNamePattern):
		case len(want) > 0 && !slices.Contains(want, g.Name):
		case in.LogGroupClass != "" && in.LogGroupClass != logswire.LogGroupClassStandard:
		default:
			groups = append(groups, g)
		}
	}
	size := describeGroupsLimit
	if in.Limit > 0 {
		size = int(in.Limit)
	}
	pg, next, err := page("DescribeLogGroups", groups, size, in.NextToken,
		func(g logs.Group) pageToken { return pageToken{Name: g.Name} },
		func(g logs.Group, k pageToken) bool { return g.Name > k.Name })
	if err != nil {
		return nil, err
	}
	out := &describeLogGroupsResponse{LogGroups: []logGroup{}, NextToken: next}
	for _, g := range pg {
		out.LogGroups = append(out.LogGroups, h.groupToWire(g))
	}
	return out, nil
}

func (h *Handler) groupToWire(g logs.Group) logGroup {
	return logGroup{
		Arn:             h.groupARN(g.Name) + ":*",
		LogGroupArn:     h.groupARN(g.Name),
		CreationTime:    g.CreationTime,
		LogGroupClass:   string(logswire.LogGroupClassStandard),
		LogGroupName:    g.Name,
		RetentionInDays: int32(g.RetentionInDays),
		StoredBytes:     g.StoredBytes,
	}
}

// DeleteLogGroup deletes a log group and everything in it.
func (h *Handler) DeleteLogGroup(_ context.Context, in *logswire.DeleteLogGroupRequest) (*struct{}, error) {
	return nil, mapError(h.store.DeleteGroup(in.LogGroupName))
}

// RetentionDays are the values PutRetentionPolicy accepts.
var RetentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// PutRetentionPolicy sets how long a group keeps its events.
func (h *Handler) PutRetentionPolicy(_ context.Context, in *logswire.PutRetentionPolicyRequest) (*struct{}, error) {
	if !slices.Contains(RetentionDays, in.RetentionInDays) {
		return nil, invalidParameter("1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: "+
			"Member must satisfy enum value set: %s", in.RetentionInDays, retentionList())
	}
	return nil, mapError(h.store.SetRetention(in.LogGroupName, int(in.RetentionInDays)))
}

func retentionList() string {
	parts := make([]string, len(RetentionDays))
	for i, d := range RetentionDays {
		parts[i] = itoa(int64(d))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// DeleteRetentionPolicy makes a group keep its events forever.
func (h *Handler) DeleteRetentionPolicy(_ context.Context, in *logswire.DeleteRetentionPolicyRequest) (*struct{}, error) {
	return nil, mapError(h.store.SetRetention(in.LogGroupName, 0))
}
