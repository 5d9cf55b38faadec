package ecr

import (
	"log/slog"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/ecr/ecrwire"
	"github.com/wharfhq/wharf/internal/registry"
)

// Handler implements the ECR operations over a registry.
type Handler struct {
	reg     *registry.Registry
	region  string
	account string
	logger  *slog.Logger
}

// New returns an ECR handler; region and account go into ARNs.
func New(reg *registry.Registry, region, account string, logger *slog.Logger) *Handler {
	return &Handler{reg: reg, region: region, account: account, logger: logger.With("component", "ecrapi")}
}

// maxBody leaves room for PutImage's manifest (4 MiB) and its JSON.
const maxBody = 10 << 20

// Service returns the JSON-protocol service to mount on the gateway.
func (h *Handler) Service() *api.JSONService {
	known := make(map[string]bool, len(ecrwire.Operations))
	for _, op := range ecrwire.Operations {
		known[op.Name] = true
	}
	s := &api.JSONService{
		TargetPrefix:   ecrwire.TargetPrefix,
		ContentType:    "application/x-amz-json-1.1",
		ValidationCode: ecrwire.ErrInvalidParameterException,
		Known:          known,
		MaxBody:        maxBody,
	}
	// Repositories.
	api.Register(s, "CreateRepository", h.CreateRepository)
	api.Register(s, "DescribeRepositories", h.DescribeRepositories)
	api.Register(s, "DeleteRepository", h.DeleteRepository)
	api.Register(s, "PutImageTagMutability", h.PutImageTagMutability)
	api.Register(s, "PutImageScanningConfiguration", h.PutImageScanningConfiguration)
	api.Register(s, "TagResource", h.TagResource)
	api.Register(s, "UntagResource", h.UntagResource)
	api.Register(s, "ListTagsForResource", h.ListTagsForResource)
	// Images.
	api.Register(s, "ListImages", h.ListImages)
	api.Register(s, "DescribeImages", h.DescribeImages)
	api.Register(s, "BatchGetImage", h.BatchGetImage)
	api.Register(s, "BatchDeleteImage", h.BatchDeleteImage)
	api.Register(s, "PutImage", h.PutImage)
	// Auth.
	api.Register(s, "GetAuthorizationToken", h.GetAuthorizationToken)
	// Lifecycle policies.
	api.Register(s, "PutLifecyclePolicy", h.PutLifecyclePolicy)
	api.Register(s, "GetLifecyclePolicy", h.GetLifecyclePolicy)
	api.Register(s, "DeleteLifecyclePolicy", h.DeleteLifecyclePolicy)
	api.Register(s, "StartLifecyclePolicyPreview", h.StartLifecyclePolicyPreview)
	api.Register(s, "GetLifecyclePolicyPreview", h.GetLifecyclePolicyPreview)
	return s
}
