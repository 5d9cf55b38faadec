package smapi

import (
	"log/slog"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/secretsmanager/smwire"
	"github.com/wharfhq/wharf/internal/secrets"
)

// Handler implements the Secrets Manager operations over a secret store.
type Handler struct {
	store  *secrets.Store
	logger *slog.Logger
}

// New returns a Secrets Manager handler.
func New(store *secrets.Store, logger *slog.Logger) *Handler {
	return &Handler{store: store, logger: logger.With("component", "secretsmanager")}
}

// Service returns the JSON-protocol service to mount on the gateway.
func (h *Handler) Service() *api.JSONService {
	known := make(map[string]bool, len(smwire.Operations))
	for _, op := range smwire.Operations {
		known[op.Name] = true
	}
	s := &api.JSONService{
		TargetPrefix:   smwire.TargetPrefix,
		ContentType:    "application/x-amz-json-1.1",
		ValidationCode: smwire.ErrInvalidParameterException,
		Known:          known,
		// SecretString and SecretBinary are up to 64 KiB each.
		MaxBody: 256 << 10,
	}
	api.Register(s, "CreateSecret", h.CreateSecret)
	api.Register(s, "GetSecretValue", h.GetSecretValue)
	api.Register(s, "PutSecretValue", h.PutSecretValue)
	api.Register(s, "DescribeSecret", h.DescribeSecret)
	api.Register(s, "ListSecrets", h.ListSecrets)
	api.Register(s, "DeleteSecret", h.DeleteSecret)
	api.Register(s, "RestoreSecret", h.RestoreSecret)
	return s
}
