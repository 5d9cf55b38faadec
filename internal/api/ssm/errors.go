package ssmapi

import (
	"errors"
	"fmt"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/ssm/ssmwire"
	"github.com/wharfhq/wharf/internal/secrets"
)

// mapError turns secret store errors into SSM exceptions.
func mapError(err error) error {
	var inv *secrets.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, secrets.ErrNotFound):
		return api.Errorf(ssmwire.ErrParameterNotFound, "")
	case errors.Is(err, secrets.ErrVersionNotFound):
		return api.Errorf(ssmwire.ErrParameterVersionNotFound, "Systems Manager could not find version of parameter.")
	case errors.Is(err, secrets.ErrExists):
		return api.Errorf(ssmwire.ErrParameterAlreadyExists,
			"The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	case errors.Is(err, secrets.ErrHierarchyTooDeep):
		return api.Errorf(ssmwire.ErrHierarchyLevelLimitExceededException,
			"A parameter name can have at most %d levels of hierarchy.", secrets.MaxHierarchyLevels)
	case errors.As(err, &inv):
		return api.Errorf(ssmwire.ErrValidationException, "%s", inv.Reason)
	}
	if _, ok := api.AsError(err); ok {
		return err
	}
	return fmt.Errorf("secret store: %w", err)
}
