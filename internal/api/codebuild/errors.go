package codebuild

import (
	"errors"
	"fmt"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/codebuild/cbwire"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/state"
)

// errIdempotentMismatch is CodeBuild's "parameter mismatch" answer to a
// reused idempotency token; the API model does not declare it.
const errIdempotentMismatch = "IdempotentParameterMismatchException"

func invalidInput(format string, args ...any) error {
	return api.Errorf(cbwire.ErrInvalidInputException, format, args...)
}

// projectNotFound names the project by ARN; a name that is already an
// ARN (of another region or account) is shown as given.
func (h *Handler) projectNotFound(name string) error {
	if !arn.IsARN(name) {
		name = h.projectARN(name)
	}
	return api.Errorf(cbwire.ErrResourceNotFoundException, "Project cannot be found: %s", name)
}

func buildNotFound(id string) error {
	return api.Errorf(cbwire.ErrResourceNotFoundException, "Build not found: %s", id)
}

// mapError turns state errors into CodeBuild exceptions; what it does not
// know stays an internal error.
func (h *Handler) mapError(err error, project string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, state.ErrNotFound):
		return h.projectNotFound(project)
	case errors.Is(err, state.ErrExists):
		return api.Errorf(cbwire.ErrResourceAlreadyExistsException, "Project already exists: %s", h.projectARN(project))
	}
	if _, ok := api.AsError(err); ok {
		return err
	}
	return fmt.Errorf("state: %w", err)
}
