package ecr

import (
	"errors"
	"fmt"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/ecr/ecrwire"
	"github.com/wharfhq/wharf/internal/registry"
)

func invalidParameter(format string, args ...any) error {
	return api.Errorf(ecrwire.ErrInvalidParameterException, format, args...)
}

// mapError turns registry errors into ECR exceptions, with ECR's wording.
func (h *Handler) mapError(err error, repo string) error {
	var inv *registry.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, registry.ErrRepositoryNotFound):
		return api.Errorf(ecrwire.ErrRepositoryNotFoundException, "The repository with name '%s' does not exist in the registry with id '%s'", repo, h.account)
	case errors.Is(err, registry.ErrRepositoryExists):
		return api.Errorf(ecrwire.ErrRepositoryAlreadyExistsException, "The repository with name '%s' already exists in the registry with id '%s'", repo, h.account)
	case errors.Is(err, registry.ErrRepositoryNotEmpty):
		return api.Errorf(ecrwire.ErrRepositoryNotEmptyException, "The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", repo, h.account)
	case errors.Is(err, registry.ErrLifecyclePolicyNotFound):
		return api.Errorf(ecrwire.ErrLifecyclePolicyNotFoundException, "Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'", repo, h.account)
	case errors.Is(err, registry.ErrPreviewNotFound):
		return api.Errorf(ecrwire.ErrLifecyclePolicyPreviewNotFoundException, "There is no lifecycle policy preview for the repository with name '%s' in the registry with id '%s'", repo, h.account)
	case errors.Is(err, registry.ErrLayersNotFound):
		return api.Errorf(ecrwire.ErrLayersNotFoundException, "%v", err)
	case errors.As(err, &inv):
		return invalidParameter("%s", inv.Reason)
	}
	return fmt.Errorf("registry: %w", err)
}

// registryID checks an optional registryId against the account.
func (h *Handler) registryID(id string) error {
	if id != "" && id != h.account {
		return invalidParameter("Invalid parameter at 'registryId' failed to satisfy constraint: 'registry %s is not this registry (%s)'", id, h.account)
	}
	return nil
}
