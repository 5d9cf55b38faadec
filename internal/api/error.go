package api

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error returned to an AWS client: the exception name (the
// JSON protocol's __type), a message and the HTTP status.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns a client error (HTTP 400) with the given exception name.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// Common exception names shared by the JSON protocol services.
const (
	CodeUnknownOperation = "UnknownOperationException"
	CodeSerialization    = "SerializationException"
	CodeTooLarge         = "RequestEntityTooLargeException"
	CodeInternal         = "InternalFailure"
	// CodeServiceUnavailable is retryable by every AWS SDK.
	CodeServiceUnavailable = "ServiceUnavailableException"
)

// AsError extracts an *Error from err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
