package awsjson

// ExceptionInfo describes how an AWS exception is sent on the wire.
type ExceptionInfo struct {
	// HTTPStatus is the status code of the error response.
	HTTPStatus int
	// Fault is true for server-side errors, false for client errors.
	Fault bool
}

// Operation describes one API action of a JSON-protocol service. Input and
// Output are the model's shape names (and so the Go type names) of the
// request and response; Output is "" when the action returns no body.
type Operation struct {
	Name   string
	Input  string
	Output string
	Errors []string
}
