package gitrepo

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// HandlerOptions configures the git smart-HTTP handler.
type HandlerOptions struct {
	// Authorize, when set, is called for every request before anything
	// else; an error answers 401 with a Basic challenge, so that git asks
	// its credential helper. nil lets everyone clone and push.
	Authorize func(r *http.Request) error
	// Realm is the Basic realm of the challenge (default "wharf").
	Realm string
}

// Handler returns the http.Handler serving git's smart HTTP protocol for
// the store's repositories under its path prefix ("/git/" by default):
//
//	GET  /git/NAME/info/refs?service=git-upload-pack|git-receive-pack
//	POST /git/NAME/git-upload-pack
//	POST /git/NAME/git-receive-pack
//
// NAME may carry a ".git" suffix. The server mounts it with
// gateway.Handle(store.PathPrefix(), store.Handler(opts)).
func (s *Store) Handler(opts HandlerOptions) http.Handler {
	if opts.Realm == "" {
		opts.Realm = "wharf"
	}
	// net/http/cgi runs Path as is, without a PATH lookup.
	gitPath, err := exec.LookPath(s.git)
	if err != nil {
		s.logger.Error("git is not installed; the git HTTP handler will fail every request", "git", s.git, "err", err)
	}
	return &gitHandler{s: s, opts: opts, gitPath: gitPath, logger: s.logger.With("component", "githttp")}
}

type gitHandler struct {
	s       *Store
	opts    HandlerOptions
	gitPath string
	logger  *slog.Logger
}

// gitProtocol is the shape of a Git-Protocol header ("version=2").
var gitProtocol = regexp.MustCompile(`^[A-Za-z0-9=:._-]*$`)

func (h *gitHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.opts.Authorize != nil {
		if err := h.opts.Authorize(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+h.opts.Realm+`"`)
			httpError(w, http.StatusUnauthorized, "authentication required: %v", err)
			return
		}
	}
	rest, ok := strings.CutPrefix(r.URL.Path, h.s.prefix)
	if !ok {
		httpError(w, http.StatusNotFound, "not a git repository path: %s", r.URL.Path)
		return
	}
	name, sub, _ := strings.Cut(rest, "/")
	name = strings.TrimSuffix(name, ".git")
	service, ok := route(r, sub)
	if !ok {
		if r.Method == http.MethodGet && sub == "" && ValidateName(name) == nil {
			httpError(w, http.StatusNotFound, "this is the git URL of repository '%s'; use it with git clone", name)
			return
		}
		httpError(w, http.StatusNotFound, "unsupported git request %s %s: wharf serves the smart HTTP protocol only", r.Method, r.URL.Path)
		return
	}
	if err := ValidateName(name); err != nil {
		httpError(w, http.StatusNotFound, "repository '%s' does not exist: %v", name, err)
		return
	}
	if _, err := h.s.Get(name); err != nil {
		if errors.Is(err, ErrNotFound) {
			httpError(w, http.StatusNotFound, "repository '%s' does not exist; create it first (aws codecommit create-repository --repository-name %s)", name, name)
			return
		}
		h.logger.Error("read repository", "repo", name, "err", err)
		httpError(w, http.StatusInternalServerError, "cannot read repository '%s'", name)
		return
	}
	if proto := r.Header.Get("Git-Protocol"); !gitProtocol.MatchString(proto) {
		httpError(w, http.StatusBadRequest, "invalid Git-Protocol header")
		return
	}
	if service == "git-receive-pack" && r.Method == http.MethodPost {
		// Refs change only here: compare them before and after, under the
		// repository's lock, to report each updated ref once.
		served := false
		err := h.s.changeRefs(r.Context(), name, func(string, map[string]string) error {
			served = true
			h.backend(w, r, name, sub)
			return nil
		})
		switch {
		case err == nil:
		case served:
			h.logger.Error("push", "repo", name, "err", err)
		case errors.Is(err, ErrNotFound):
			httpError(w, http.StatusNotFound, "repository '%s' does not exist", name)
		default:
			h.logger.Error("push", "repo", name, "err", err)
			httpError(w, http.StatusInternalServerError, "cannot read the refs of repository '%s'", name)
		}
		return
	}
	h.backend(w, r, name, sub)
}

// route returns the git service a request is for, and whether it is one
// of the three smart-HTTP requests.
func route(r *http.Request, sub string) (string, bool) {
	switch {
	case sub == "info/refs" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		svc := r.URL.Query().Get("service")
		return svc, svc == "git-upload-pack" || svc == "git-receive-pack"
	case (sub == "git-upload-pack" || sub == "git-receive-pack") && r.Method == http.MethodPost:
		return sub, true
	}
	return "", false
}

// backend runs git http-backend as a CGI program for the request.
func (h *gitHandler) backend(w http.ResponseWriter, r *http.Request, name, sub string) {
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + name + ".git/" + sub
	r2.URL.RawPath = ""
	if r.ContentLength < 0 || len(r.TransferEncoding) > 0 {
		// git streams large requests with chunked encoding, which CGI
		// cannot express: spool the body so it has a length.
		body, size, err := spool(h.s.root, r.Body)
		if err != nil {
			h.logger.Error("read request body", "repo", name, "err", err)
			httpError(w, http.StatusBadRequest, "cannot read request body: %v", err)
			return
		}
		defer body.Close()
		r2.Body, r2.ContentLength, r2.TransferEncoding = body, size, nil
	}
	env := append(gitEnv(),
		"GIT_PROJECT_ROOT="+h.s.root,
		"GIT_HTTP_EXPORT_ALL=1",
		// Set per repository at creation too; the environment covers
		// repositories made by older versions.
		"GIT_CONFIG_COUNT=4",
		"GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true",
		"GIT_CONFIG_KEY_1=gc.autoDetach", "GIT_CONFIG_VALUE_1=false",
		"GIT_CONFIG_KEY_2=receive.denyDeleteCurrent", "GIT_CONFIG_VALUE_2=refuse",
		"GIT_CONFIG_KEY_3=uploadpack.allowFilter", "GIT_CONFIG_VALUE_3=true",
	)
	if proto := r.Header.Get("Git-Protocol"); proto != "" {
		env = append(env, "GIT_PROTOCOL="+proto)
	}
	if h.gitPath == "" {
		httpError(w, http.StatusInternalServerError, "git is not installed on the server")
		return
	}
	cgiHandler := &cgi.Handler{
		Path:   h.gitPath,
		Dir:    h.s.root,
		Args:   []string{"http-backend"},
		Root:   "/",
		Env:    env,
		Stderr: &logWriter{logger: h.logger, repo: name},
	}
	cgiHandler.ServeHTTP(w, r2)
}

// spool copies a request body to an unlinked temporary file under dir and
// returns it rewound, with its size.
func spool(dir string, body io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp(dir, ".body-")
	if err != nil {
		return nil, 0, err
	}
	_ = os.Remove(f.Name()) // the open file lives on until closed
	n, err := io.Copy(f, body)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, n, nil
}

func httpError(w http.ResponseWriter, status int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, format+"\n", args...)
}

// logWriter logs what git http-backend writes to its standard error.
type logWriter struct {
	logger *slog.Logger
	repo   string
}

func (l *logWriter) Write(p []byte) (int, error) {
	if msg := strings.TrimSpace(string(p)); msg != "" {
		l.logger.Warn("git http-backend", "repo", l.repo, "stderr", msg)
	}
	return len(p), nil
}
