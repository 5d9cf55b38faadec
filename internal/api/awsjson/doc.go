// Package awsjson is the runtime shared by the generated wire packages of
// AWS JSON-protocol services (ecswire, logswire, …).
//
// It owns the pieces the generated code and the API handlers both need:
// the Timestamp wire type, request body decoding with AWS-like leniency
// (Decode, DecodeError), the error returned by generated validators
// (ValidationError) and the descriptors of operations and exceptions
// (Operation, ExceptionInfo). It knows nothing about any particular service.
package awsjson
