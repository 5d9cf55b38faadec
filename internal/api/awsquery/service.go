package awsquery

import (
	"maps"
	"slices"
)

// ExceptionInfo describes how an AWS exception is sent on the wire.
type ExceptionInfo struct {
	// HTTPStatus is the status code of the error response.
	HTTPStatus int
	// Fault is true for server-side errors (<Type>Receiver</Type>), false
	// for client errors (Sender).
	Fault bool
}

// Operation describes one action of a query-protocol service. Input and
// Output are the model's shape names (and so the Go type names);
// ResultWrapper is the element that wraps the output (<ActionResult>).
type Operation struct {
	Name          string
	Input         string
	Output        string
	ResultWrapper string
	Errors        []string
}

// SortedKeys returns the keys of m in increasing order, so that generated
// validators and encoders are deterministic.
func SortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
