package logsapi

import (
	"log/slog"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/logs/logswire"
	"github.com/wharfhq/wharf/internal/logs"
)

// Handler implements the CloudWatch Logs operations over a log store.
type Handler struct {
	store   *logs.Store
	region  string
	account string
	logger  *slog.Logger
}

// New returns a CloudWatch Logs handler; region and account go into ARNs.
func New(store *logs.Store, region, account string, logger *slog.Logger) *Handler {
	return &Handler{store: store, region: region, account: account, logger: logger.With("component", "logsapi")}
}

// maxBody leaves room for a full 1 MiB batch of messages plus its JSON.
const maxBody = 6 << 20

// Service returns the JSON-protocol service to mount on the gateway.
func (h *Handler) Service() *api.JSONService {
	known := make(map[string]bool, len(logswire.Operations))
	for _, op := range logswire.Operations {
		known[op.Name] = true
	}
	s := &api.JSONService{
		TargetPrefix:   logswire.TargetPrefix,
		ContentType:    "application/x-amz-json-1.1",
		ValidationCode: logswire.ErrInvalidParameterException,
		Known:          known,
		MaxBody:        maxBody,
	}
	// Log groups.
	api.Register(s, "CreateLogGroup", h.CreateLogGroup)
	api.Register(s, "DescribeLogGroups", h.DescribeLogGroups)
	api.Register(s, "DeleteLogGroup", h.DeleteLogGroup)
	api.Register(s, "PutRetentionPolicy", h.PutRetentionPolicy)
	api.Register(s, "DeleteRetentionPolicy", h.DeleteRetentionPolicy)
	// Log streams.
	api.Register(s, "CreateLogStream", h.CreateLogStream)
	api.Register(s, "DescribeLogStreams", h.DescribeLogStreams)
	api.Register(s, "DeleteLogStream", h.DeleteLogStream)
	// Events.
	api.Register(s, "PutLogEvents", h.PutLogEvents)
	api.Register(s, "GetLogEvents", h.GetLogEvents)
	api.Register(s, "FilterLogEvents", h.FilterLogEvents)
	// Tags.
	api.Register(s, "TagResource", h.TagResource)
	api.Register(s, "UntagResource", h.UntagResource)
	api.Register(s, "ListTagsForResource", h.ListTagsForResource)
	api.Register(s, "TagLogGroup", h.TagLogGroup)
	api.Register(s, "UntagLogGroup", h.UntagLogGroup)
	api.Register(s, "ListTagsLogGroup", h.ListTagsLogGroup)
	return s
}
