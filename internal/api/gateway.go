package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
)

// Gateway is the HTTP handler serving every API on one port.
type Gateway struct {
	logger *slog.Logger
	json   map[string]*JSONService  // by X-Amz-Target prefix
	query  map[string]*QueryService // by Version
	mux    *http.ServeMux
}

// NewGateway returns an empty gateway; services and paths are added with
// AddJSONService and Handle before it serves.
func NewGateway(logger *slog.Logger) *Gateway {
	return &Gateway{
		logger: logger.With("component", "api"),
		json:   make(map[string]*JSONService),
		query:  make(map[string]*QueryService),
		mux:    http.NewServeMux(),
	}
}

// AddJSONService routes requests whose X-Amz-Target starts with the
// service's prefix to it.
func (g *Gateway) AddJSONService(s *JSONService) {
	if _, dup := g.json[s.TargetPrefix]; dup {
		panic("api: duplicate JSON service " + s.TargetPrefix)
	}
	g.json[s.TargetPrefix] = s
}

// Handle routes a path pattern (http.ServeMux syntax) to h.
func (g *Gateway) Handle(pattern string, h http.Handler) { g.mux.Handle(pattern, h) }

type requestIDKey struct{}

// RequestID returns the id the gateway assigned to the request in ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := newRequestID()
	w.Header().Set("x-amzn-RequestId", id)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))

	target := r.Header.Get("X-Amz-Target")
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			g.logger.Error("panic serving request", "request_id", id, "target", target,
				"path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			writeJSONError(w, &Error{Code: CodeInternal, Message: "internal server error", Status: http.StatusInternalServerError})
		}
	}()

	if target != "" {
		g.serveJSON(w, r, target)
		return
	}
	if isQueryRequest(r) && g.serveQuery(w, r) {
		return
	}
	g.mux.ServeHTTP(w, r)
}

func (g *Gateway) serveJSON(w http.ResponseWriter, r *http.Request, target string) {
	prefix, op, ok := strings.Cut(target, ".")
	svc := g.json[prefix]
	if !ok || svc == nil {
		writeJSONError(w, Errorf(CodeUnknownOperation, "unknown service target %q", target))
		return
	}
	if r.Method != http.MethodPost {
		writeJSONError(w, &Error{Code: CodeSerialization, Message: "only POST is supported", Status: http.StatusMethodNotAllowed})
		return
	}
	svc.serve(w, r, op, g.logger)
}
