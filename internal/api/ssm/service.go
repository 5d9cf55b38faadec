package ssmapi

import (
	"log/slog"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/ssm/ssmwire"
	"github.com/wharfhq/wharf/internal/secrets"
)

// Handler implements the Parameter Store operations over a secret store.
type Handler struct {
	store  *secrets.Store
	logger *slog.Logger
}

// New returns an SSM handler.
func New(store *secrets.Store, logger *slog.Logger) *Handler {
	return &Handler{store: store, logger: logger.With("component", "ssm")}
}

// Service returns the JSON-protocol service to mount on the gateway.
func (h *Handler) Service() *api.JSONService {
	known := make(map[string]bool, len(ssmwire.Operations))
	for _, op := range ssmwire.Operations {
		known[op.Name] = true
	}
	s := &api.JSONService{
		TargetPrefix:   ssmwire.TargetPrefix,
		ContentType:    "application/x-amz-json-1.1",
		ValidationCode: ssmwire.ErrValidationException,
		Known:          known,
	}
	api.Register(s, "PutParameter", h.PutParameter)
	api.Register(s, "GetParameter", h.GetParameter)
	api.Register(s, "GetParameters", h.GetParameters)
	api.Register(s, "GetParametersByPath", h.GetParametersByPath)
	api.Register(s, "DeleteParameter", h.DeleteParameter)
	api.Register(s, "DeleteParameters", h.DeleteParameters)
	return s
}
