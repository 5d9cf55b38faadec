package smapi

import (
	"errors"
	"fmt"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/secretsmanager/smwire"
	"github.com/wharfhq/wharf/internal/secrets"
)

func invalidParameter(format string, args ...any) error {
	return api.Errorf(smwire.ErrInvalidParameterException, format, args...)
}

// mapError turns secret store errors into Secrets Manager exceptions;
// name is the secret the request was about, for messages.
func mapError(err error, name string) error {
	var inv *secrets.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, secrets.ErrNotFound):
		return api.Errorf(smwire.ErrResourceNotFoundException, "Secrets Manager can't find the specified secret.")
	case errors.Is(err, secrets.ErrVersionNotFound):
		return api.Errorf(smwire.ErrResourceNotFoundException, "Secrets Manager can't find the specified secret value.")
	case errors.Is(err, secrets.ErrVersionExists):
		return api.Errorf(smwire.ErrResourceExistsException, "%s", err.Error())
	case errors.Is(err, secrets.ErrExists):
		return api.Errorf(smwire.ErrResourceExistsException, "The operation failed because the secret %s already exists.", name)
	case errors.Is(err, secrets.ErrScheduledForDeletion):
		return api.Errorf(smwire.ErrInvalidRequestException,
			"You can't perform this operation on the secret because it was marked for deletion.")
	case errors.As(err, &inv):
		return invalidParameter("%s", inv.Reason)
	}
	if _, ok := api.AsError(err); ok {
		return err
	}
	return fmt.Errorf("secret store: %w", err)
}
