package codepipeline

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/wharfhq/wharf/internal/api"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
	"github.com/wharfhq/wharf/internal/pipeline/declare"
	"github.com/wharfhq/wharf/internal/state"
)

func validation(format string, args ...any) error {
	return api.Errorf(w.ErrValidationException, format, args...)
}

// fieldError reports an invalid member in the words of the generated
// validators ("Invalid value for field variables[1].name: ...").
func fieldError(field, format string, args ...any) error {
	return validation("Invalid value for field %s: %s", field, fmt.Sprintf(format, args...))
}

func (h *Handler) pipelineNotFound(name string) error {
	return api.Errorf(w.ErrPipelineNotFoundException, "Account '%s' does not have a pipeline with name '%s'", h.account, name)
}

func executionNotFound(pipeline, id string) error {
	return api.Errorf(w.ErrPipelineExecutionNotFoundException, "Pipeline execution with id '%s' does not exist in pipeline '%s'", id, pipeline)
}

func stageNotFound(pipeline, stage string) error {
	return api.Errorf(w.ErrStageNotFoundException, "Stage '%s' does not exist in pipeline '%s'", stage, pipeline)
}

// checks returns the first error of a list of member checks (declare's
// CheckString and friends) as the API error.
func checks(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return asAPI(err)
		}
	}
	return nil
}

// asAPI converts a *declare.Error to the exception it names; other errors
// are returned unchanged.
func asAPI(err error) error {
	var de *declare.Error
	if errors.As(err, &de) {
		return &api.Error{Code: de.Code, Message: de.Error(), Status: http.StatusBadRequest}
	}
	return err
}

// mapError turns declaration and state errors into CodePipeline
// exceptions; what it does not know stays an internal error.
func (h *Handler) mapError(err error, pipeline string) error {
	var de *declare.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &de):
		return asAPI(err)
	case errors.Is(err, state.ErrNotFound):
		return h.pipelineNotFound(pipeline)
	case errors.Is(err, state.ErrExists):
		return api.Errorf(w.ErrPipelineNameInUseException, "A pipeline with the name '%s' already exists in account '%s'", pipeline, h.account)
	}
	if _, ok := api.AsError(err); ok {
		return err
	}
	return fmt.Errorf("state: %w", err)
}
