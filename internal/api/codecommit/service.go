package codecommit

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/codecommit/ccwire"
	"github.com/wharfhq/wharf/internal/gitrepo"
)

// Handler implements the CodeCommit operations over a gitrepo.Store.
type Handler struct {
	store    *gitrepo.Store
	region   string
	account  string
	baseURL  func(context.Context) string
	pageSize int
	logger   *slog.Logger
}

// Option configures a Handler.
type Option func(*Handler)

// WithPageSize sets how many items ListRepositories and ListBranches
// return per page (default 1000, as CodeCommit).
func WithPageSize(n int) Option {
	return func(h *Handler) {
		if n > 0 {
			h.pageSize = n
		}
	}
}

// New returns a CodeCommit handler; region and account go into ARNs, and
// baseURL returns the server's URL as clients reach it (for example
// "http://127.0.0.1:8080"), to which cloneUrlHttp appends /git/NAME.
func New(store *gitrepo.Store, region, account string, baseURL func(context.Context) string, logger *slog.Logger, opts ...Option) *Handler {
	h := &Handler{store: store, region: region, account: account, baseURL: baseURL, pageSize: 1000,
		logger: logger.With("component", "codecommitapi")}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Service returns the JSON-protocol service to mount on the gateway.
func (h *Handler) Service() *api.JSONService {
	known := make(map[string]bool, len(ccwire.Operations))
	for _, op := range ccwire.Operations {
		known[op.Name] = true
	}
	s := &api.JSONService{
		TargetPrefix:   ccwire.TargetPrefix,
		ContentType:    "application/x-amz-json-1.1",
		ValidationCode: "ValidationException",
		Known:          known,
	}
	// Repositories.
	register(s, "CreateRepository", h.CreateRepository)
	register(s, "GetRepository", h.GetRepository)
	register(s, "BatchGetRepositories", h.BatchGetRepositories)
	register(s, "ListRepositories", h.ListRepositories)
	register(s, "DeleteRepository", h.DeleteRepository)
	register(s, "UpdateRepositoryDescription", h.UpdateRepositoryDescription)
	// Branches and commits.
	register(s, "GetBranch", h.GetBranch)
	register(s, "ListBranches", h.ListBranches)
	register(s, "CreateBranch", h.CreateBranch)
	register(s, "DeleteBranch", h.DeleteBranch)
	register(s, "UpdateDefaultBranch", h.UpdateDefaultBranch)
	register(s, "GetCommit", h.GetCommit)
	return s
}

// request wraps a generated input shape so that the gateway does not run
// the model's validation itself: register runs it and answers with the
// exception CodeCommit uses for the field.
type request[In any] struct{ in In }

func (r *request[In]) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &r.in) }

func register[In any, Out any, P interface {
	*In
	Validate() error
}](s *api.JSONService, name string, fn func(context.Context, *In) (*Out, error)) {
	api.Register(s, name, func(ctx context.Context, r *request[In]) (*Out, error) {
		if err := P(&r.in).Validate(); err != nil {
			return nil, validationError(err)
		}
		return fn(ctx, &r.in)
	})
}
