package gitrepo_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/wharfhq/wharf/internal/gitrepo"
)

func ev(ref, old, new string) gitrepo.PushEvent {
	return gitrepo.PushEvent{Repo: "app", Ref: ref, Old: old, New: new}
}

func wantEvents(t *testing.T, f *fixture, want ...gitrepo.PushEvent) {
	t.Helper()
	if got := f.takeEvents(); !reflect.DeepEqual(got, want) {
		t.Fatalf("push events\n got %+v\nwant %+v", got, want)
	}
}

// TestCloneAndPush drives one repository through the life a pipeline
// source sees, with the stock git client over both wire protocol versions.
func TestCloneAndPush(t *testing.T) {
	for _, proto := range []string{"2", "0"} {
		t.Run("protocol.version="+proto, func(t *testing.T) {
			f := newFixture(t, gitrepo.HandlerOptions{})
			f.home = t.TempDir()
			if err := os.WriteFile(filepath.Join(f.home, ".gitconfig"), []byte("[protocol]\n\tversion = "+proto+"\n[init]\n\tdefaultBranch = main\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			f.create(t, "app")

			// An empty repository clones, and the first push makes main the default.
			work := f.clone(t, "app")
			c1 := f.commit(t, work, "README", "hello\n", "first")
			f.mustGit(t, work, "push", "--quiet", "origin", "HEAD:main")
			wantEvents(t, f, ev("refs/heads/main", gitrepo.ZeroID, c1))
			if repo, err := f.store.Get("app"); err != nil || repo.DefaultBranch != "main" {
				t.Fatalf("after first push: %+v %v", repo, err)
			}

			// A fresh clone checks out main with the file.
			other := f.clone(t, "app")
			if b, err := os.ReadFile(filepath.Join(other, "README")); err != nil || string(b) != "hello\n" {
				t.Fatalf("cloned README %q %v", b, err)
			}
			if head := f.mustGit(t, other, "rev-parse", "--abbrev-ref", "HEAD"); head != "main" {
				t.Fatalf("cloned HEAD %s", head)
			}

			// A second branch, then a force push to it.
			f.mustGit(t, work, "checkout", "--quiet", "-b", "feature")
			c2 := f.commit(t, work, "feature.txt", "one\n", "feature work")
			f.mustGit(t, work, "push", "--quiet", "origin", "feature")
			wantEvents(t, f, ev("refs/heads/feature", gitrepo.ZeroID, c2))
			f.mustGit(t, work, "commit", "--quiet", "--amend", "-m", "feature work, amended")
			c3 := f.mustGit(t, work, "rev-parse", "HEAD")
			if out, err := f.git(work, "push", "origin", "feature"); err == nil {
				t.Fatalf("non-fast-forward push accepted:\n%s", out)
			}
			wantEvents(t, f)
			f.mustGit(t, work, "push", "--quiet", "--force", "origin", "feature")
			wantEvents(t, f, ev("refs/heads/feature", c2, c3))
			if b, err := f.store.Branch(ctx, "app", "feature"); err != nil || b.CommitID != c3 {
				t.Fatalf("feature after force push: %+v %v", b, err)
			}

			// Two refs in one push: one event each.
			f.mustGit(t, work, "checkout", "--quiet", "main")
			c4 := f.commit(t, work, "README", "hello again\n", "second")
			f.mustGit(t, work, "tag", "v1")
			f.mustGit(t, work, "push", "--quiet", "origin", "main", "v1")
			wantEvents(t, f, ev("refs/heads/main", c1, c4), ev("refs/tags/v1", gitrepo.ZeroID, c4))

			// Deleting a branch.
			f.mustGit(t, work, "push", "--quiet", "origin", "--delete", "feature")
			wantEvents(t, f, ev("refs/heads/feature", c3, gitrepo.ZeroID))
			if _, err := f.store.Branch(ctx, "app", "feature"); !errors.Is(err, gitrepo.ErrBranchNotFound) {
				t.Fatalf("deleted branch: %v", err)
			}

			// A shallow clone has the last commit only.
			shallow := f.clone(t, "app", "--depth", "1")
			if n := f.mustGit(t, shallow, "rev-list", "--count", "HEAD"); n != "1" {
				t.Fatalf("shallow clone has %s commits", n)
			}
			if id := f.mustGit(t, shallow, "rev-parse", "HEAD"); id != c4 {
				t.Fatalf("shallow clone at %s, want %s", id, c4)
			}
			// ... and deepens on fetch.
			f.mustGit(t, shallow, "fetch", "--quiet", "--unshallow")
			if n := f.mustGit(t, shallow, "rev-list", "--count", "HEAD"); n != "2" {
				t.Fatalf("unshallowed clone has %s commits", n)
			}

			// A partial clone (protocol v2 only) fetches blobs on demand.
			if proto == "2" {
				partial := f.clone(t, "app", "--filter=blob:none")
				if b, _ := os.ReadFile(filepath.Join(partial, "README")); string(b) != "hello again\n" {
					t.Fatalf("partial clone README %q", b)
				}
				if missing := f.mustGit(t, partial, "rev-list", "--objects", "--missing=print", "--all"); !strings.Contains(missing, "\n?") {
					t.Fatalf("partial clone has every blob; the filter was ignored:\n%s", missing)
				}
			}

			// A pull into the first clone sees nothing new; the tree matches.
			f.mustGit(t, other, "pull", "--quiet", "--ff-only")
			if b, _ := os.ReadFile(filepath.Join(other, "README")); string(b) != "hello again\n" {
				t.Fatalf("pulled README %q", b)
			}
			wantEvents(t, f)

			commit, err := f.store.Commit(ctx, "app", c4)
			if err != nil || commit.Message != "second\n" || commit.Author.Name != "Ada Lovelace" ||
				commit.Author.Email != "ada@example.com" || !reflect.DeepEqual(commit.Parents, []string{c1}) {
				t.Fatalf("commit %+v %v", commit, err)
			}
		})
	}
}

func TestPushToMissingRepository(t *testing.T) {
	f := newFixture(t, gitrepo.HandlerOptions{})
	work := filepath.Join(t.TempDir(), "work")
	f.mustGit(t, "", "init", "--quiet", "-b", "main", work)
	f.commit(t, work, "a", "a", "a")
	for _, name := range []string{"nope", "Bad~Name"} {
		out, err := f.git(work, "push", f.url+"/git/"+name, "main")
		if err == nil || !strings.Contains(out, "not found") {
			t.Fatalf("push to %s: %v\n%s", name, err, out)
		}
	}
	if out, err := f.git("", "clone", f.url+"/git/nope", filepath.Join(t.TempDir(), "c")); err == nil {
		t.Fatalf("clone of a missing repository:\n%s", out)
	}
	resp, err := http.Get(f.url + "/git/nope/info/refs?service=git-receive-pack")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "repository 'nope' does not exist") {
		t.Fatalf("missing repository: %d %s", resp.StatusCode, body)
	}
	// Deleted repositories are gone for git too.
	f.create(t, "app")
	if _, err := f.store.Delete("app"); err != nil {
		t.Fatal(err)
	}
	if out, err := f.git(work, "push", f.url+"/git/app", "main"); err == nil {
		t.Fatalf("push to a deleted repository:\n%s", out)
	}
	wantEvents(t, f)
}

// TestLargePush sends a pack bigger than git's post buffer, which git
// streams with chunked transfer encoding and no Content-Length.
func TestLargePush(t *testing.T) {
	f := newFixture(t, gitrepo.HandlerOptions{})
	f.create(t, "app")
	work := f.clone(t, "app")
	blob := make([]byte, 3<<20)
	_, _ = rand.Read(blob)
	c := f.commit(t, work, "blob.bin", string(blob), "big")
	f.mustGit(t, work, "push", "--quiet", "origin", "HEAD:main")
	wantEvents(t, f, ev("refs/heads/main", gitrepo.ZeroID, c))
	again := f.clone(t, "app")
	if b, err := os.ReadFile(filepath.Join(again, "blob.bin")); err != nil || !bytes.Equal(b, blob) {
		t.Fatalf("cloned blob differs: %v", err)
	}
}

// TestGzipRequest posts an upload-pack request compressed as git does for
// large negotiations.
func TestGzipRequest(t *testing.T) {
	f := newFixture(t, gitrepo.HandlerOptions{})
	f.create(t, "app")
	work := f.clone(t, "app")
	c := f.commit(t, work, "a", "a", "a")
	f.mustGit(t, work, "push", "--quiet", "origin", "HEAD:main")

	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	fmt.Fprintf(zw, "%04xwant %s\n00000009done\n", len("want \n")+4+len(c), c)
	zw.Close()
	req, _ := http.NewRequest("POST", f.url+"/git/app.git/git-upload-pack", &body)
	req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(out, []byte("NAK")) || !bytes.Contains(out, []byte("PACK")) {
		t.Fatalf("gzip upload-pack: %d %q", resp.StatusCode, out)
	}
}

func TestConcurrentPushes(t *testing.T) {
	f := newFixture(t, gitrepo.HandlerOptions{})
	f.create(t, "app")
	const n = 5
	heads := make([]string, n)
	dirs := make([]string, n)
	for i := range n {
		dirs[i] = f.clone(t, "app")
		heads[i] = f.commit(t, dirs[i], "f", fmt.Sprint(i), fmt.Sprint("commit ", i))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			out, err := f.git(dirs[i], "push", "--quiet", "origin", fmt.Sprintf("HEAD:refs/heads/b%d", i))
			if err != nil {
				errs[i] = fmt.Errorf("%v: %s", err, out)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got := map[string]gitrepo.PushEvent{}
	for _, e := range f.takeEvents() {
		if _, dup := got[e.Ref]; dup {
			t.Fatalf("two events for %s", e.Ref)
		}
		got[e.Ref] = e
	}
	for i := range n {
		if e := got[fmt.Sprintf("refs/heads/b%d", i)]; e.Old != gitrepo.ZeroID || e.New != heads[i] {
			t.Fatalf("event for b%d: %+v", i, e)
		}
	}
	if len(got) != n {
		t.Fatalf("%d events, want %d", len(got), n)
	}
	if repo, _ := f.store.Get("app"); repo.DefaultBranch == "" {
		t.Fatalf("no default branch after the first pushes: %+v", repo)
	}
}

func TestAuthorize(t *testing.T) {
	f := newFixture(t, gitrepo.HandlerOptions{Authorize: func(r *http.Request) error {
		if u, p, ok := r.BasicAuth(); !ok || u != "dev" || p != "s3cret" {
			return errors.New("bad credentials")
		}
		return nil
	}})
	f.create(t, "app")
	resp, err := http.Get(f.url + "/git/app/info/refs?service=git-upload-pack")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("unauthenticated: %d %v", resp.StatusCode, resp.Header)
	}
	if out, err := f.git("", "clone", f.url+"/git/app", filepath.Join(t.TempDir(), "a")); err == nil {
		t.Fatalf("clone without credentials:\n%s", out)
	}
	authed := strings.Replace(f.url, "http://", "http://dev:s3cret@", 1)
	dir := filepath.Join(t.TempDir(), "b")
	f.mustGit(t, "", "clone", "--quiet", authed+"/git/app", dir)
	c := f.commit(t, dir, "a", "a", "a")
	f.mustGit(t, dir, "push", "--quiet", "origin", "HEAD:main")
	wantEvents(t, f, ev("refs/heads/main", gitrepo.ZeroID, c))
}

func TestUnsupportedRequests(t *testing.T) {
	f := newFixture(t, gitrepo.HandlerOptions{})
	f.create(t, "app")
	for _, tc := range []struct{ method, path string }{
		{"GET", "/git/app/info/refs"},              // dumb protocol
		{"GET", "/git/app/HEAD"},                   // dumb protocol
		{"GET", "/git/app/objects/info/packs"},     // dumb protocol
		{"GET", "/git/app/git-upload-pack"},        // wrong method
		{"GET", "/git/app/wharf-repository.json"},  // metadata is not served
		{"GET", "/git/../../etc/passwd/info/refs"}, // not a name
	} {
		req, _ := http.NewRequest(tc.method, f.url+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s %s: %d", tc.method, tc.path, resp.StatusCode)
		}
	}
}
