package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/api/awsquery"
)

// Query-protocol error codes the gateway itself produces.
const (
	CodeInvalidAction    = "InvalidAction"
	CodeMissingAction    = "MissingAction"
	CodeMalformedQuery   = "MalformedQueryString"
	CodeQueryTooLarge    = "RequestEntityTooLarge"
	CodeQueryInternal    = "InternalFailure"
	CodeQueryUnavailable = "ServiceUnavailable"
)

// QueryService serves one AWS query-protocol API (ELBv2): form-encoded
// Action=…&Version=… requests, XML responses and the XML error envelope.
type QueryService struct {
	// Version is the API version the service answers, e.g. "2015-12-01".
	Version string
	// XMLNamespace of responses and errors.
	XMLNamespace string
	// ValidationCode is the error code for requests that fail decoding or
	// the model's constraints ("ValidationError" for ELBv2).
	ValidationCode string
	// Exceptions gives the HTTP status of each error code of the model.
	Exceptions map[string]awsquery.ExceptionInfo
	// Known lists every operation of the API model, so that operations
	// wharf does not implement are named as such.
	Known map[string]bool
	// MaxBody caps request bodies; DefaultMaxBody when zero.
	MaxBody int64

	ops map[string]queryOperation
}

type queryOperation struct {
	wrapper string
	run     func(ctx context.Context, form *awsquery.Node) (xmlEncoder, error)
}

type xmlEncoder interface{ EncodeXML(*awsquery.XMLWriter) }

// QueryRequest is implemented by generated query request shapes.
type QueryRequest interface {
	DecodeQuery(*awsquery.Node) error
	Validate() error
}

// AddQueryService routes query-protocol requests (form POSTs to "/" or
// GETs with an Action parameter) whose Version is s.Version to s.
func (g *Gateway) AddQueryService(s *QueryService) {
	if _, dup := g.query[s.Version]; dup {
		panic("api: duplicate query service for version " + s.Version)
	}
	g.query[s.Version] = s
}

// RegisterQuery adds a typed operation handler to s. wrapper is the
// element that wraps the result (the model's resultWrapper, e.g.
// "CreateLoadBalancerResult"); "" omits it. The gateway decodes the form
// into In, runs its generated validation, calls fn and encodes its result.
func RegisterQuery[In any, Out any, PIn interface {
	*In
	QueryRequest
}, POut interface {
	*Out
	xmlEncoder
}](s *QueryService, name, wrapper string, fn func(context.Context, PIn) (POut, error)) {
	if s.ops == nil {
		s.ops = make(map[string]queryOperation)
	}
	if s.Known != nil && !s.Known[name] {
		panic("api: " + name + " is not an operation of query API " + s.Version)
	}
	s.ops[name] = queryOperation{wrapper: wrapper, run: func(ctx context.Context, form *awsquery.Node) (xmlEncoder, error) {
		in := PIn(new(In))
		if err := in.DecodeQuery(form); err != nil {
			return nil, err
		}
		if err := in.Validate(); err != nil {
			return nil, err
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = new(Out)
		}
		return out, nil
	}}
}

// Operations returns the names of the registered operations.
func (s *QueryService) Operations() []string {
	names := make([]string, 0, len(s.ops))
	for n := range s.ops {
		names = append(names, n)
	}
	return names
}

func (s *QueryService) maxBody() int64 {
	if s.MaxBody > 0 {
		return s.MaxBody
	}
	return DefaultMaxBody
}

func (s *QueryService) serve(w http.ResponseWriter, r *http.Request, form *awsquery.Node, logger *slog.Logger) {
	start := time.Now()
	action := form.Value("Action")
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			logger.Error("panic serving request", "request_id", RequestID(r.Context()), "action", action,
				"panic", p, "stack", string(debug.Stack()))
			s.writeError(w, r, &Error{Code: CodeQueryInternal, Message: "internal server error", Status: http.StatusInternalServerError})
		}
	}()
	op, ok := s.ops[action]
	if !ok {
		msg := "Could not find operation " + action + " for version " + s.Version
		if s.Known[action] {
			msg = "operation " + action + " is not implemented by wharf yet"
		}
		s.writeError(w, r, Errorf(CodeInvalidAction, "%s", msg))
		return
	}
	out, err := op.run(r.Context(), form)
	if err != nil {
		apiErr := s.toAPIError(err)
		level := slog.LevelDebug
		if apiErr.Status >= 500 {
			level = slog.LevelError
		}
		logger.Log(r.Context(), level, "request failed", "op", action, "code", apiErr.Code,
			"err", err, "request_id", RequestID(r.Context()))
		s.writeError(w, r, apiErr)
		return
	}
	var x awsquery.XMLWriter
	x.OpenNS(action+"Response", s.XMLNamespace)
	if op.wrapper != "" {
		x.Open(op.wrapper)
		out.EncodeXML(&x)
		x.Close(op.wrapper)
	}
	x.Open("ResponseMetadata")
	x.String("RequestId", RequestID(r.Context()))
	x.Close("ResponseMetadata")
	x.Close(action + "Response")
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(x.Bytes())
	logger.Debug("request", "op", action, "duration", time.Since(start), "request_id", RequestID(r.Context()))
}

// toAPIError maps decode and validation errors to the service's
// validation code, known codes to the model's status, and anything
// unexpected to a 500 that hides internals.
func (s *QueryService) toAPIError(err error) *Error {
	if e, ok := AsError(err); ok {
		if info, ok := s.Exceptions[e.Code]; ok {
			e = &Error{Code: e.Code, Message: e.Message, Status: info.HTTPStatus}
		}
		return e
	}
	var ve *awsquery.ValidationError
	if errors.As(err, &ve) {
		code := s.ValidationCode
		if code == "" {
			code = "ValidationError"
		}
		return Errorf(code, "%s", ve.Error())
	}
	var tr interface{ Unavailable() bool }
	if errors.As(err, &tr) && tr.Unavailable() {
		return &Error{Code: CodeQueryUnavailable, Message: "the state store did not answer in time; retry the request", Status: http.StatusServiceUnavailable}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Code: "RequestCanceled", Message: "request canceled", Status: 499}
	}
	return &Error{Code: CodeQueryInternal, Message: "internal error: " + err.Error(), Status: http.StatusInternalServerError}
}

func (s *QueryService) writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	writeQueryError(w, r, s.XMLNamespace, e)
}

// writeQueryError writes the query protocol's XML error envelope.
func writeQueryError(w http.ResponseWriter, r *http.Request, ns string, e *Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	kind := "Sender"
	if status >= 500 {
		kind = "Receiver"
	}
	var x awsquery.XMLWriter
	x.OpenNS("ErrorResponse", ns)
	x.Open("Error")
	x.String("Type", kind)
	x.String("Code", e.Code)
	x.String("Message", e.Message)
	x.Close("Error")
	x.String("RequestId", RequestID(r.Context()))
	x.Close("ErrorResponse")
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(status)
	_, _ = w.Write(x.Bytes())
}

// isQueryRequest reports whether r may be a query-protocol call: a GET
// with an Action query parameter, or a form POST to "/" (where SDKs and
// the AWS CLI send them).
func isQueryRequest(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet:
		return r.URL.Query().Has("Action")
	case http.MethodPost:
		ct := r.Header.Get("Content-Type")
		ct, _, _ = strings.Cut(ct, ";")
		return r.URL.Path == "/" && strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
	}
	return false
}

// serveQuery reads the form of a query request and hands it to the
// service registered for its Version. A form POST without Action falls
// through to the path mux with its body restored (returns false).
func (g *Gateway) serveQuery(w http.ResponseWriter, r *http.Request) bool {
	limit := int64(DefaultMaxBody)
	for _, s := range g.query {
		limit = max(limit, s.maxBody())
	}
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeQueryError(w, r, "", &Error{Code: CodeQueryTooLarge, Message: "request body exceeds the limit of " + strconv.FormatInt(limit, 10) + " bytes", Status: http.StatusRequestEntityTooLarge})
				return true
			}
			writeQueryError(w, r, "", Errorf(CodeMalformedQuery, "cannot read request body: %v", err))
			return true
		}
		raw = string(body)
		if raw != "" && r.URL.RawQuery != "" {
			raw += "&" + r.URL.RawQuery
		} else if raw == "" {
			raw = r.URL.RawQuery
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	form, err := awsquery.ParseForm(raw)
	if err != nil {
		writeQueryError(w, r, "", Errorf(CodeMalformedQuery, "%s", err.Error()))
		return true
	}
	action := form.Value("Action")
	if action == "" {
		return false
	}
	version := form.Value("Version")
	svc := g.query[version]
	if svc == nil && version == "" && len(g.query) == 1 {
		for _, s := range g.query {
			svc = s
		}
	}
	if svc == nil {
		writeQueryError(w, r, "", Errorf(CodeInvalidAction, "Could not find operation %s for version %s", action, version))
		return true
	}
	if limit := svc.maxBody(); int64(len(raw)) > limit {
		svc.writeError(w, r, &Error{Code: CodeQueryTooLarge, Message: "request body exceeds the limit of " + strconv.FormatInt(limit, 10) + " bytes", Status: http.StatusRequestEntityTooLarge})
		return true
	}
	svc.serve(w, r, form, g.logger)
	return true
}
