package ecs

import (
	"errors"
	"fmt"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/state"
)

func clientError(format string, args ...any) error {
	return api.Errorf(ecswire.ErrClientException, format, args...)
}

func invalidParameter(format string, args ...any) error {
	return api.Errorf(ecswire.ErrInvalidParameterException, format, args...)
}

func clusterNotFound() error {
	return api.Errorf(ecswire.ErrClusterNotFoundException, "Cluster not found.")
}

// mapStateError turns the state sentinels that no handler translated more
// precisely into ECS exceptions; anything else stays an internal error.
func mapStateError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, state.ErrClusterHasInstances):
		return api.Errorf(ecswire.ErrClusterContainsContainerInstancesException,
			"The Cluster cannot be deleted while Container Instances are active or draining.")
	case errors.Is(err, state.ErrClusterHasServices):
		return api.Errorf(ecswire.ErrClusterContainsServicesException,
			"The Cluster cannot be deleted while Services are active.")
	case errors.Is(err, state.ErrClusterHasTasks):
		return api.Errorf(ecswire.ErrClusterContainsTasksException,
			"The Cluster cannot be deleted while Tasks are active.")
	case errors.Is(err, state.ErrRevisionLimit):
		return api.Errorf(ecswire.ErrLimitExceededException, "%s", err.Error())
	}
	if _, ok := api.AsError(err); ok {
		return err
	}
	return fmt.Errorf("state: %w", err)
}

func errorsIsNotFound(err error) bool { return errors.Is(err, state.ErrNotFound) }

func serviceNotFound() error {
	return api.Errorf(ecswire.ErrServiceNotFoundException, "Service not found.")
}

func apiError(code, msg string) error { return api.Errorf(code, "%s", msg) }
