package logsapi

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/internal/api/logs/logswire"
	"github.com/wharfhq/wharf/internal/logs"
)

// CreateLogStream creates a log stream in a group.
func (h *Handler) CreateLogStream(_ context.Context, in *logswire.CreateLogStreamRequest) (*struct{}, error) {
	if _, err := h.store.CreateStream(in.LogGroupName, in.LogStreamName); err != nil {
		return nil, mapError(err)
	}
	return nil, nil
}

const describeStreamsLimit = 50

// DescribeLogStreams lists a group's streams by name or by last event time.
func (h *Handler) DescribeLogStreams(_ context.Context, in *logswire.DescribeLogStreamsRequest) (*describeLogStreamsResponse, error) {
	group, err := h.groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	byTime := in.OrderBy == logswire.OrderByLastEventTime
	if byTime && in.LogStreamNamePrefix != "" {
		return nil, invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	all, err := h.store.Streams(group)
	if err != nil {
		return nil, mapError(err)
	}
	streams := all[:0]
	for _, s := range all {
		if strings.HasPrefix(s.Name, in.LogStreamNamePrefix) {
			streams = append(streams, s)
		}
	}
	// Sort key: (last event time, name) or name; descending reverses it.
	key := func(s logs.Stream) pageToken {
		if byTime {
			return pageToken{Time: s.LastEventTimestamp, Name: s.Name}
		}
		return pageToken{Name: s.Name}
	}
	compare := func(a, b pageToken) int {
		if c := cmp.Compare(a.Time, b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	}
	slices.SortFunc(streams, func(a, b logs.Stream) int { return compare(key(a), key(b)) })
	if in.Descending {
		slices.Reverse(streams)
	}
	size := describeStreamsLimit
	if in.Limit > 0 {
		size = int(in.Limit)
	}
	op := "DescribeLogStreams/" + string(cmp.Or(in.OrderBy, logswire.OrderByLogStreamName)) + "/" + strconv.FormatBool(in.Descending)
	pg, next, err := page(op, streams, size, in.NextToken, key, func(s logs.Stream, k pageToken) bool {
		c := compare(key(s), k)
		if in.Descending {
			return c < 0
		}
		return c > 0
	})
	if err != nil {
		return nil, err
	}
	out := &describeLogStreamsResponse{LogStreams: []logStream{}, NextToken: next}
	for _, s := range pg {
		out.LogStreams = append(out.LogStreams, logStream{
			Arn:                 h.streamARN(group, s.Name),
			CreationTime:        s.CreationTime,
			FirstEventTimestamp: s.FirstEventTimestamp,
			LastEventTimestamp:  s.LastEventTimestamp,
			LastIngestionTime:   s.LastIngestionTime,
			LogStreamName:       s.Name,
			StoredBytes:         s.StoredBytes,
		})
	}
	return out, nil
}

// DeleteLogStream deletes a stream and its events.
func (h *Handler) DeleteLogStream(_ context.Context, in *logswire.DeleteLogStreamRequest) (*struct{}, error) {
	return nil, mapError(h.store.DeleteStream(in.LogGroupName, in.LogStreamName))
}
