package logsapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/logs/logswire"
	"github.com/wharfhq/wharf/internal/logs"
)

func invalidParameter(format string, args ...any) error {
	return api.Errorf(logswire.ErrInvalidParameterException, format, args...)
}

func groupNotFound() error {
	return api.Errorf(logswire.ErrResourceNotFoundException, "The specified log group does not exist.")
}

// mapError turns log store errors into CloudWatch Logs exceptions.
func mapError(err error) error {
	var inv *logs.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, logs.ErrGroupNotFound):
		return groupNotFound()
	case errors.Is(err, logs.ErrStreamNotFound):
		return api.Errorf(logswire.ErrResourceNotFoundException, "The specified log stream does not exist.")
	case errors.Is(err, logs.ErrGroupExists):
		return api.Errorf(logswire.ErrResourceAlreadyExistsException, "The specified log group already exists")
	case errors.Is(err, logs.ErrStreamExists):
		return api.Errorf(logswire.ErrResourceAlreadyExistsException, "The specified log stream already exists")
	case errors.As(err, &inv):
		return invalidParameter("%s", inv.Reason)
	case errors.Is(err, logs.ErrClosed):
		return &api.Error{Code: logswire.ErrServiceUnavailableException, Message: "the log store is shutting down; retry the request", Status: http.StatusServiceUnavailable}
	}
	return fmt.Errorf("log store: %w", err)
}
