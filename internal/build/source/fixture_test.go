package source

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// gitCLI runs the git CLI in dir with a fixed identity and no user or system
// configuration, and returns its trimmed output.
func gitCLI(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "protocol.file.allow=always", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir,
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_AUTHOR_DATE=2024-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2024-01-02T03:04:05Z",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func requireGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not installed")
	}
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// fixture is a repository with every kind of version CodeBuild accepts:
//
//	c1 (tag v0.1, lightweight) ─ c2 (tag v1.0, annotated) ─ c3 ─ c4  main, HEAD
//	                               └─ f1  feature
//	                                └─ p1  refs/pull/7/head only
//
// work is a clone with a working tree, bare a mirror of it (what the HTTP
// server serves).
type fixture struct {
	work, bare             string
	c1, c2, c3, c4, f1, p1 string
	tagObj                 string // the annotated tag object of v1.0
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	requireGit(t)
	root := t.TempDir()
	fx := &fixture{work: filepath.Join(root, "work"), bare: filepath.Join(root, "srv", "repo.git")}
	w := fx.work
	if err := os.MkdirAll(w, 0o755); err != nil {
		t.Fatal(err)
	}
	gitCLI(t, w, "init", "-q")
	commit := func(msg string) string {
		gitCLI(t, w, "add", "-A")
		gitCLI(t, w, "commit", "-q", "-m", msg)
		return gitCLI(t, w, "rev-parse", "HEAD")
	}
	writeFile(t, filepath.Join(w, "README"), "one\n", 0o644)
	fx.c1 = commit("c1")
	gitCLI(t, w, "tag", "v0.1")
	writeFile(t, filepath.Join(w, "README"), "two\n", 0o644)
	writeFile(t, filepath.Join(w, "bin", "run.sh"), "#!/bin/sh\necho hi\n", 0o755)
	if err := os.Symlink("bin/run.sh", filepath.Join(w, "run")); err != nil {
		t.Fatal(err)
	}
	fx.c2 = commit("c2")
	gitCLI(t, w, "tag", "-a", "-m", "release 1.0", "v1.0")
	fx.tagObj = gitCLI(t, w, "rev-parse", "v1.0")
	gitCLI(t, w, "checkout", "-q", "-b", "feature")
	writeFile(t, filepath.Join(w, "feature.txt"), "feature\n", 0o644)
	fx.f1 = commit("f1")
	gitCLI(t, w, "checkout", "-q", "--detach", fx.c2)
	writeFile(t, filepath.Join(w, "README"), "pull request\n", 0o644)
	fx.p1 = commit("p1")
	gitCLI(t, w, "update-ref", "refs/pull/7/head", fx.p1)
	gitCLI(t, w, "checkout", "-q", "main")
	writeFile(t, filepath.Join(w, "README"), "three\n", 0o644)
	fx.c3 = commit("c3")
	writeFile(t, filepath.Join(w, "README"), "four\n", 0o644)
	fx.c4 = commit("c4")
	gitCLI(t, root, "clone", "-q", "--mirror", w, fx.bare)
	return fx
}

// commitMain adds a commit to main in work and pushes it to bare.
func (fx *fixture) commitMain(t testing.TB, readme string) string {
	t.Helper()
	writeFile(t, filepath.Join(fx.work, "README"), readme, 0o644)
	gitCLI(t, fx.work, "commit", "-q", "-am", readme)
	gitCLI(t, fx.work, "push", "-q", fx.bare, "main")
	return gitCLI(t, fx.work, "rev-parse", "HEAD")
}

// gitServer serves the fixture's bare repository over smart HTTP with git
// http-backend on 127.0.0.1. It counts upload-pack requests.
type gitServer struct {
	URL     string // of the repository
	packs   atomic.Int32
	mu      sync.Mutex
	user    string
	pass    string
	srv     *httptest.Server
	backend http.Handler
}

func serveGit(t testing.TB, fx *fixture) *gitServer {
	t.Helper()
	execPath := gitCLI(t, fx.work, "--exec-path")
	backend := filepath.Join(execPath, "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("git http-backend not available (%v): the HTTP transport is not tested", err)
	}
	gs := &gitServer{backend: &cgi.Handler{
		Path: backend,
		Root: "/git",
		Env: []string{
			"GIT_PROJECT_ROOT=" + filepath.Dir(fx.bare),
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
		},
	}}
	gs.srv = httptest.NewServer(http.HandlerFunc(gs.serve)) // listens on 127.0.0.1
	t.Cleanup(gs.srv.Close)
	gs.URL = gs.srv.URL + "/git/" + filepath.Base(fx.bare)
	return gs
}

// requireAuth makes the server demand HTTP basic auth.
func (gs *gitServer) requireAuth(user, pass string) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	gs.user, gs.pass = user, pass
}

func (gs *gitServer) serve(w http.ResponseWriter, r *http.Request) {
	gs.mu.Lock()
	wantUser, wantPass := gs.user, gs.pass
	gs.mu.Unlock()
	if wantUser != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != wantUser || p != wantPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
		gs.packs.Add(1)
	}
	gs.backend.ServeHTTP(w, r)
}
