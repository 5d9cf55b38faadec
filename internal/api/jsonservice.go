package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/wharfhq/wharf/internal/api/awsjson"
)

// DefaultMaxBody is the largest request body a JSON service accepts unless
// it sets its own limit. It matches the size limits of the AWS JSON APIs
// wharf serves; larger bodies are refused without being buffered.
const DefaultMaxBody = 1 << 20

// JSONService serves one AWS JSON-protocol API (awsJson1_1 or 1_0).
type JSONService struct {
	// TargetPrefix is the X-Amz-Target prefix, e.g. "AmazonEC2ContainerServiceV20141113".
	TargetPrefix string
	// ContentType of responses, e.g. "application/x-amz-json-1.1".
	ContentType string
	// ValidationCode is the exception name for requests that fail the
	// model's constraints (InvalidParameterException for ECS).
	ValidationCode string
	// Known lists every operation of the API model, so that operations
	// wharf does not implement are named as such.
	Known map[string]bool
	// MaxBody caps request bodies; DefaultMaxBody when zero.
	MaxBody int64

	ops map[string]operation
}

type operation func(ctx context.Context, body []byte) (any, error)

// Validator is implemented by generated request shapes.
type Validator interface{ Validate() error }

// Register adds a typed operation handler to s. The gateway decodes the
// body into In, runs In's generated model validation, calls fn and encodes
// its result.
func Register[In any, Out any](s *JSONService, name string, fn func(context.Context, *In) (*Out, error)) {
	if s.ops == nil {
		s.ops = make(map[string]operation)
	}
	if s.Known != nil && !s.Known[name] {
		panic("api: " + name + " is not an operation of " + s.TargetPrefix)
	}
	s.ops[name] = func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := awsjson.Decode(body, in); err != nil {
			return nil, err
		}
		if v, ok := any(in).(Validator); ok {
			if err := v.Validate(); err != nil {
				return nil, err
			}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return struct{}{}, nil
		}
		return out, nil
	}
}

// Operations returns the names of the registered operations.
func (s *JSONService) Operations() []string {
	names := make([]string, 0, len(s.ops))
	for n := range s.ops {
		names = append(names, n)
	}
	return names
}

func (s *JSONService) serve(w http.ResponseWriter, r *http.Request, opName string, logger *slog.Logger) {
	start := time.Now()
	op := s.ops[opName]
	if op == nil {
		msg := "operation " + opName + " is not supported by " + s.TargetPrefix
		if s.Known[opName] {
			msg = "operation " + opName + " is not implemented by wharf yet"
		}
		s.writeError(w, Errorf(CodeUnknownOperation, "%s", msg))
		return
	}
	limit := s.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.writeError(w, &Error{Code: CodeTooLarge, Message: "request body exceeds the limit of " + itoa(limit) + " bytes", Status: http.StatusRequestEntityTooLarge})
			return
		}
		s.writeError(w, Errorf(CodeSerialization, "cannot read request body: %v", err))
		return
	}
	out, err := op(r.Context(), body)
	if err != nil {
		apiErr := s.toAPIError(err)
		level := slog.LevelDebug
		if apiErr.Status >= 500 {
			level = slog.LevelError
		}
		logger.Log(r.Context(), level, "request failed", "op", opName, "code", apiErr.Code,
			"err", err, "request_id", RequestID(r.Context()))
		s.writeError(w, apiErr)
		return
	}
	buf, err := json.Marshal(out)
	if err != nil {
		logger.Error("encode response", "op", opName, "err", err)
		s.writeError(w, &Error{Code: CodeInternal, Message: "cannot encode response", Status: http.StatusInternalServerError})
		return
	}
	w.Header().Set("Content-Type", s.contentType())
	_, _ = w.Write(buf)
	logger.Debug("request", "op", opName, "duration", time.Since(start), "request_id", RequestID(r.Context()))
}

// toAPIError maps decode and validation errors to the service's exceptions
// and anything unexpected to a 500 that hides internals.
func (s *JSONService) toAPIError(err error) *Error {
	if e, ok := AsError(err); ok {
		return e
	}
	var de *awsjson.DecodeError
	if errors.As(err, &de) {
		return Errorf(CodeSerialization, "%s", de.Error())
	}
	var ve *awsjson.ValidationError
	if errors.As(err, &ve) {
		code := s.ValidationCode
		if code == "" {
			code = "ValidationException"
		}
		return Errorf(code, "%s", ve.Error())
	}
	var tr interface{ Unavailable() bool }
	if errors.As(err, &tr) && tr.Unavailable() {
		return &Error{Code: CodeServiceUnavailable, Message: "the state store did not answer in time; retry the request", Status: http.StatusServiceUnavailable}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Code: "RequestCanceled", Message: "request canceled", Status: 499}
	}
	return &Error{Code: "ServerException", Message: "internal error: " + err.Error(), Status: http.StatusInternalServerError}
}

func (s *JSONService) contentType() string {
	if s.ContentType != "" {
		return s.ContentType
	}
	return "application/x-amz-json-1.1"
}

func (s *JSONService) writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", s.contentType())
	writeJSONError(w, e)
}

func writeJSONError(w http.ResponseWriter, e *Error) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	}
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	buf, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	_, _ = w.Write(buf)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
