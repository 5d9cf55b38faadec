package logsapi

import (
	"context"
	"unicode/utf8"

	"github.com/wharfhq/wharf/internal/api/logs/logswire"
	"github.com/wharfhq/wharf/internal/logs"
)

// Limits of PutLogEvents and of the read operations' responses.
const (
	maxBatchBytes    = 1 << 20 // messages in UTF-8 plus eventOverhead each
	eventOverhead    = 26
	maxEventBytes    = 256 << 10 // one message, overhead included
	maxResponseBytes = 1 << 20
)

// PutLogEvents appends a chronological batch of events to a stream.
func (h *Handler) PutLogEvents(_ context.Context, in *logswire.PutLogEventsRequest) (*putLogEventsResponse, error) {
	events := make([]logs.InputEvent, len(in.LogEvents))
	size := 0
	for i, e := range in.LogEvents {
		n := len(e.Message) + eventOverhead
		if n > maxEventBytes {
			return nil, invalidParameter("Log event %d is too large: %d bytes with overhead, the maximum is %d.", i, n, maxEventBytes)
		}
		if !utf8.ValidString(e.Message) {
			return nil, invalidParameter("Log event %d is not valid UTF-8.", i)
		}
		size += n
		events[i] = logs.InputEvent{Timestamp: e.Timestamp, Message: e.Message}
	}
	if size > maxBatchBytes {
		return nil, invalidParameter("Log event batch is too large: %d bytes with overhead, the maximum is %d.", size, maxBatchBytes)
	}
	res, err := h.store.Put(in.LogGroupName, in.LogStreamName, events)
	if err != nil {
		return nil, mapError(err)
	}
	out := &putLogEventsResponse{}
	var info rejectedLogEventsInfo
	if res.TooOldEnd > 0 {
		info.TooOldLogEventEndIndex = ptr(int32(res.TooOldEnd))
	}
	if res.ExpiredEnd > 0 {
		info.ExpiredLogEventEndIndex = ptr(int32(res.ExpiredEnd))
	}
	if res.TooNewStart < len(events) {
		info.TooNewLogEventStartIndex = ptr(int32(res.TooNewStart))
	}
	if info != (rejectedLogEventsInfo{}) {
		out.RejectedLogEventsInfo = &info
		h.logger.Debug("rejected log events", "group", in.LogGroupName, "stream", in.LogStreamName,
			"too_old_end", res.TooOldEnd, "expired_end", res.ExpiredEnd, "too_new_start", res.TooNewStart)
	}
	return out, nil
}

// GetLogEvents reads one stream. Without a token it returns the latest
// events (or the earliest with startFromHead); a forward token continues
// after the last event returned, a backward token before the first. With
// nothing further in that direction the same token comes back.
func (h *Handler) GetLogEvents(_ context.Context, in *logswire.GetLogEventsRequest) (*logswire.GetLogEventsResponse, error) {
	group, err := h.groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	opts := logs.ReadOptions{Start: in.StartTime, End: in.EndTime, Limit: int(in.Limit), MaxBytes: maxResponseBytes}
	switch {
	case in.NextToken != "":
		if opts.Backward, opts.From, err = parseEventToken(in.NextToken); err != nil {
			return nil, err
		}
	case in.StartFromHead:
		opts.From = logs.Head
	default:
		opts.From, opts.Backward = logs.Tail, true
	}
	events, err := h.store.Read(group, in.LogStreamName, opts)
	if err != nil {
		return nil, mapError(err)
	}
	out := &logswire.GetLogEventsResponse{Events: make([]logswire.OutputLogEvent, 0, len(events))}
	for _, e := range events {
		out.Events = append(out.Events, logswire.OutputLogEvent{IngestionTime: e.IngestionTime, Message: e.Message, Timestamp: e.Timestamp})
	}
	if len(events) > 0 {
		out.NextForwardToken = eventToken('f', events[len(events)-1].Cursor())
		out.NextBackwardToken = eventToken('b', events[0].Cursor())
		return out, nil
	}
	// Nothing in this direction: hand the position back unchanged, and
	// the other direction from the same place.
	from := opts.From
	if opts.Backward {
		out.NextBackwardToken = eventToken('b', from)
		if from != logs.Head {
			from.Seq-- // forward from just before: includes the position itself
		}
		out.NextForwardToken = eventToken('f', from)
	} else {
		out.NextForwardToken = eventToken('f', from)
		if from != logs.Tail {
			from.Seq++ // backward from just after: includes the position itself
		}
		out.NextBackwardToken = eventToken('b', from)
	}
	if in.NextToken != "" {
		// Exactly the token given, as AWS does.
		if opts.Backward {
			out.NextBackwardToken = in.NextToken
		} else {
			out.NextForwardToken = in.NextToken
		}
	}
	return out, nil
}

// FilterLogEvents searches the streams of a group, interleaving their
// events in timestamp order.
func (h *Handler) FilterLogEvents(_ context.Context, in *logswire.FilterLogEventsRequest) (*logswire.FilterLogEventsResponse, error) {
	group, err := h.groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != "" {
		return nil, invalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	pattern, err := logs.ParsePattern(in.FilterPattern)
	if err != nil {
		return nil, mapError(err)
	}
	opts := logs.FilterOptions{
		Streams: in.LogStreamNames, Prefix: in.LogStreamNamePrefix,
		Start: in.StartTime, End: in.EndTime,
		Match: pattern.Match, Limit: int(in.Limit), MaxBytes: maxResponseBytes,
	}
	if in.NextToken != "" {
		t, err := decodePageToken("FilterLogEvents", in.NextToken)
		if err != nil {
			return nil, err
		}
		opts.After = &logs.FilterCursor{Timestamp: t.Time, Stream: t.Stream, Seq: t.Seq}
	}
	res, err := h.store.Filter(group, opts)
	if err != nil {
		return nil, mapError(err)
	}
	out := &logswire.FilterLogEventsResponse{Events: make([]logswire.FilteredLogEvent, 0, len(res.Events))}
	for _, e := range res.Events {
		out.Events = append(out.Events, logswire.FilteredLogEvent{
			EventId: e.ID, IngestionTime: e.IngestionTime, LogStreamName: e.Stream, Message: e.Message, Timestamp: e.Timestamp,
		})
	}
	for _, s := range res.Streams {
		out.SearchedLogStreams = append(out.SearchedLogStreams, logswire.SearchedLogStream{LogStreamName: s, SearchedCompletely: !res.More})
	}
	if res.More {
		out.NextToken = encodePageToken(pageToken{Op: "FilterLogEvents", Time: res.Next.Timestamp, Stream: res.Next.Stream, Seq: res.Next.Seq})
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }
