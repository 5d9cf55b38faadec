package gitrepo_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/gitrepo"
)

// requireGit skips the test when the git CLI is missing.
func requireGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

// fixture is a store served over HTTP on loopback, with the push events it
// delivered.
type fixture struct {
	store *gitrepo.Store
	url   string // base URL of the server, e.g. http://127.0.0.1:1234
	home  string // HOME of the git client

	mu     sync.Mutex
	events []gitrepo.PushEvent
}

func newFixture(t *testing.T, opts gitrepo.HandlerOptions) *fixture {
	t.Helper()
	requireGit(t)
	f := &fixture{store: gitrepo.New(filepath.Join(t.TempDir(), "git")), home: t.TempDir()}
	f.store.OnPush(func(ev gitrepo.PushEvent) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.events = append(f.events, ev)
	})
	srv := httptest.NewServer(f.store.Handler(opts))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// takeEvents returns the events delivered since the last call.
func (f *fixture) takeEvents() []gitrepo.PushEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev := f.events
	f.events = nil
	return ev
}

func (f *fixture) create(t *testing.T, name string) gitrepo.Repository {
	t.Helper()
	repo, err := f.store.Create(context.Background(), name, "test repository")
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// git runs the stock git client in dir with an isolated configuration
// and returns its combined output.
func (f *fixture) git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + f.home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada Lovelace", "GIT_COMMITTER_EMAIL=ada@example.com",
		"LC_ALL=C",
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustGit is git that fails the test on error.
func (f *fixture) mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := f.git(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// commit writes file with content in the work tree at dir, commits it and
// returns the commit id.
func (f *fixture) commit(t *testing.T, dir, file, content, message string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f.mustGit(t, dir, "add", file)
	f.mustGit(t, dir, "commit", "--quiet", "-m", message)
	return f.mustGit(t, dir, "rev-parse", "HEAD")
}

// clone clones repository name into a new directory and returns it.
func (f *fixture) clone(t *testing.T, name string, args ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "work")
	f.mustGit(t, "", append(append([]string{"clone", "--quiet"}, args...), f.url+"/git/"+name, dir)...)
	return dir
}

// fixedClock is a clock tests move by hand.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
