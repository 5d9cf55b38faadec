package gitsource_test

import (
	"archive/zip"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/internal/artifacts"
)

// repo is a bare repository (the origin every test fetches from) and a
// clone with a working tree that commits are made and pushed in.
type repo struct {
	root     string
	bare     string // root/srv/app.git
	work     string
	branches map[string]bool // of the work tree
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	r := &repo{root: root, bare: filepath.Join(root, "srv", "app.git"), work: filepath.Join(root, "work"),
		branches: map[string]bool{}}
	r.git(t, root, "init", "--quiet", "--bare", r.bare)
	r.git(t, root, "clone", "--quiet", r.bare, r.work)
	return r
}

// git runs the git CLI in dir with a fixed identity and no user or system
// configuration, and returns its trimmed output.
func (r *repo) git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return r.gitEnv(t, dir, nil, args...)
}

func (r *repo) gitEnv(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + r.root, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Grace Hopper", "GIT_COMMITTER_EMAIL=grace@example.com",
	}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit changes the work tree, commits with the given dates, pushes to
// the branch and returns the commit id. A file content of "" deletes the
// file, "link:TARGET" makes a symlink; files ending in .sh are executable.
func (r *repo) commit(t *testing.T, branch string, files map[string]string, message, authorDate, committerDate string) string {
	t.Helper()
	switch {
	case len(r.branches) == 0: // the first commit makes it
		r.git(t, r.work, "checkout", "--quiet", "-b", branch)
	case r.branches[branch]:
		r.git(t, r.work, "checkout", "--quiet", branch)
	default:
		r.git(t, r.work, "checkout", "--quiet", "-b", branch)
	}
	r.branches[branch] = true
	for name, content := range files {
		p := filepath.Join(r.work, filepath.FromSlash(name))
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
		if content == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "link:"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	r.git(t, r.work, "add", "--all")
	r.gitEnv(t, r.work, []string{"GIT_AUTHOR_DATE=" + authorDate, "GIT_COMMITTER_DATE=" + committerDate}, "commit", "--quiet", "--allow-empty", "-m", message)
	r.git(t, r.work, "push", "--quiet", "origin", "HEAD:refs/heads/"+branch)
	return r.git(t, r.work, "rev-parse", "HEAD")
}

// serve serves the bare repository over smart HTTP with git http-backend
// on 127.0.0.1, demanding basic auth when user is set. It returns the
// repository's URL (without credentials).
func (r *repo) serve(t *testing.T, user, pass string) string {
	t.Helper()
	backend := filepath.Join(r.git(t, r.root, "--exec-path"), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("git http-backend not available (%v): the HTTP transport is not tested", err)
	}
	h := &cgi.Handler{Path: backend, Root: "/git", Env: []string{
		"GIT_PROJECT_ROOT=" + filepath.Dir(r.bare), "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
	}, Stderr: io.Discard}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); user != "" && (!ok || u != user || p != pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/git/" + filepath.Base(r.bare)
}

// entry is one zip entry: its mode and content.
type entry struct {
	mode    os.FileMode
	content string
}

// readZip returns the entries of the zip stored under key, in order.
func readZip(t *testing.T, store *artifacts.Store, key string) ([]string, map[string]entry) {
	t.Helper()
	p, err := store.Path(key)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatalf("artifact %s is not a zip: %v", key, err)
	}
	defer zr.Close()
	var names []string
	out := map[string]entry{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		out[f.Name] = entry{mode: f.Mode(), content: string(data)}
	}
	return names, out
}
