package source

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// logs collects Fetch's log messages.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) log(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
}

func (l *logs) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// remoteKind is one way of reaching the fixture repository.
type remoteKind struct {
	name     string
	typ      string
	location string
	cacheDir string
	direct   bool // fetched from a server straight into dest (may deepen)
}

func remoteKinds(t *testing.T, fx *fixture) []remoteKind {
	ts := []remoteKind{
		{name: "local-worktree", typ: TypeGitHub, location: fx.work},
		{name: "file-url-bare", typ: TypeCodeCommit, location: "file://" + fx.bare},
	}
	gs := serveGit(t, fx)
	return append(ts,
		remoteKind{name: "http", typ: TypeGitHub, location: gs.URL, direct: true},
		remoteKind{name: "http-cached", typ: TypeGitLab, location: gs.URL, cacheDir: t.TempDir()},
	)
}

func TestFetchGitVersions(t *testing.T) {
	fx := newFixture(t)
	cases := []struct {
		version string
		want    string
		ref     string
	}{
		{"", fx.c4, "refs/heads/main"},
		{"main", fx.c4, "refs/heads/main"},
		{"refs/heads/main", fx.c4, "refs/heads/main"},
		{"feature", fx.f1, "refs/heads/feature"},
		{"refs/heads/feature", fx.f1, "refs/heads/feature"},
		{"v0.1", fx.c1, "refs/tags/v0.1"},           // lightweight tag
		{"v1.0", fx.c2, "refs/tags/v1.0"},           // annotated tag, peeled
		{"refs/tags/v1.0", fx.c2, "refs/tags/v1.0"}, //
		{fx.c4, fx.c4, "refs/heads/main"},           // commit at a branch tip
		{fx.c3, fx.c3, ""},                          // commit at no tip
		{fx.c2[:10], fx.c2, ""},                     // abbreviated, under the v1.0 tag object
		{fx.c3[:7], fx.c3, ""},                      // abbreviated, at no tip
		{"pr/7", fx.p1, "refs/pull/7/head"},
		{"refs/pull/7/head", fx.p1, "refs/pull/7/head"},
		{"refs/heads/main^{" + fx.c2 + "}", fx.c2, "refs/heads/main"}, // CodeBuild webhook form
		{"feature^{" + fx.f1[:12] + "}", fx.f1, "refs/heads/feature"},
	}
	for _, tr := range remoteKinds(t, fx) {
		for _, depth := range []int32{0, 1} {
			for _, tc := range cases {
				name := fmt.Sprintf("%s/depth%d/%s", tr.name, depth, tc.version)
				t.Run(name, func(t *testing.T) {
					t.Parallel() // the cached transport's fetches share one cache
					dest := filepath.Join(t.TempDir(), "src")
					var l logs
					res, err := Fetch(context.Background(),
						Spec{Type: tr.typ, Location: tr.location, Version: tc.version, GitCloneDepth: depth},
						dest, Options{CacheDir: tr.cacheDir, Log: l.log})
					if err != nil {
						t.Fatalf("Fetch: %v\nlog:\n%s", err, &l)
					}
					if res.ResolvedVersion != tc.want || res.Ref != tc.ref {
						t.Fatalf("resolved %s %q, want %s %q", res.ResolvedVersion, res.Ref, tc.want, tc.ref)
					}
					if res.RepoURL != tr.location {
						t.Errorf("RepoURL = %q, want %q", res.RepoURL, tr.location)
					}
					checkCheckout(t, fx, dest, tc.want)
					count := gitCLI(t, dest, "rev-list", "--count", "HEAD")
					switch {
					case depth == 0 || tr.direct && !res.Shallow:
						if want := gitCLI(t, fx.work, "rev-list", "--count", tc.want); count != want {
							t.Errorf("full clone has %s commits, want %s", count, want)
						}
						gitCLI(t, dest, "fsck", "--no-dangling", "--no-progress")
					case count != "1":
						t.Errorf("depth 1 clone has %s commits", count)
					}
					if got := gitCLI(t, dest, "rev-parse", "--is-shallow-repository"); got != fmt.Sprint(res.Shallow) {
						t.Errorf("is-shallow-repository %s, Result.Shallow %v", got, res.Shallow)
					}
					if !l.has("Source is located at "+tr.location) || !l.has("Checked out "+tc.want) {
						t.Errorf("log lacks the source or checkout line:\n%s", &l)
					}
				})
			}
		}
	}
}

// checkCheckout asserts dest is a clean checkout of commit, with HEAD
// detached at it, and that modes and symlinks came through.
func checkCheckout(t *testing.T, fx *fixture, dest, commit string) {
	t.Helper()
	if got := gitCLI(t, dest, "rev-parse", "HEAD"); got != commit {
		t.Fatalf("HEAD = %s, want %s", got, commit)
	}
	if st := gitCLI(t, dest, "status", "--porcelain"); st != "" {
		t.Fatalf("checkout is not clean:\n%s", st)
	}
	readme, err := os.ReadFile(filepath.Join(dest, "README"))
	if err != nil {
		t.Fatal(err)
	}
	if want := gitCLI(t, fx.work, "show", commit+":README"); strings.TrimSpace(string(readme)) != want {
		t.Fatalf("README = %q, want %q", readme, want)
	}
	if commit == fx.c1 {
		return
	}
	if st, err := os.Stat(filepath.Join(dest, "bin", "run.sh")); err != nil || st.Mode().Perm()&0o111 == 0 {
		t.Errorf("bin/run.sh not executable: %v %v", st, err)
	}
	if target, err := os.Readlink(filepath.Join(dest, "run")); err != nil || target != "bin/run.sh" {
		t.Errorf("run symlink = %q, %v", target, err)
	}
}

// A full clone is laid out as git clone leaves it: HEAD detached at the
// commit, remote-tracking branches for every branch, the tags, origin/HEAD
// and origin's URL.
func TestFetchGitCloneLayout(t *testing.T) {
	fx := newFixture(t)
	for _, tr := range remoteKinds(t, fx) {
		t.Run(tr.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "src")
			_, err := Fetch(context.Background(), Spec{Type: tr.typ, Location: tr.location, Version: "feature"}, dest, Options{CacheDir: tr.cacheDir})
			if err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(dest, ".git", "HEAD")); err != nil || strings.TrimSpace(string(b)) != fx.f1 {
				t.Fatalf(".git/HEAD = %q, %v; want detached at %s", b, err, fx.f1)
			}
			for ref, want := range map[string]string{
				"origin/main":    fx.c4,
				"origin/feature": fx.f1,
				"origin/HEAD":    fx.c4,
				"v0.1":           fx.c1,
				"v1.0":           fx.tagObj,
			} {
				if got := gitCLI(t, dest, "rev-parse", ref); got != want {
					t.Errorf("%s = %s, want %s", ref, got, want)
				}
			}
			if got := gitCLI(t, dest, "remote", "get-url", "origin"); got != tr.location {
				t.Errorf("origin = %s, want %s", got, tr.location)
			}
		})
	}
}

func TestFetchGitInvalidVersion(t *testing.T) {
	fx := newFixture(t)
	versions := []string{
		"nope",
		"refs/heads/nope",
		"0123456789abcdef0123456789abcdef01234567",
		"deadbeefdead",
		"pr/99",
		"main^{deadbeefdead}",
	}
	for _, tr := range remoteKinds(t, fx) {
		for _, v := range versions {
			t.Run(tr.name+"/"+v, func(t *testing.T) {
				_, err := Fetch(context.Background(), Spec{Type: tr.typ, Location: tr.location, Version: v},
					filepath.Join(t.TempDir(), "src"), Options{CacheDir: tr.cacheDir})
				if !errors.Is(err, ErrInvalidVersion) || !strings.Contains(err.Error(), "invalid source version "+v+":") {
					t.Fatalf("err = %v, want invalid source version naming %s", err, v)
				}
			})
		}
	}
}

func TestFetchGitShallowFallback(t *testing.T) {
	fx := newFixture(t)
	gs := serveGit(t, fx)
	tests := []struct {
		version string
		want    string
		shallow bool
		deepen  bool
	}{
		{"main", fx.c4, true, false},
		{"v1.0", fx.c2, true, false},
		{fx.c3, fx.c3, false, true},                             // in no ref's depth-1 history
		{"refs/heads/main^{" + fx.c2 + "}", fx.c2, false, true}, // older than main's tip
		{"refs/heads/main^{" + fx.c4 + "}", fx.c4, true, false}, // the tip itself
		{"feature^{" + fx.c2 + "}", fx.c2, false, true},         //
		{fx.c3[:9], fx.c3, false, true},                         //
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "src")
			var l logs
			res, err := Fetch(context.Background(), Spec{Type: TypeGitHub, Location: gs.URL, Version: tc.version, GitCloneDepth: 1}, dest, Options{Log: l.log})
			if err != nil {
				t.Fatalf("%v\n%s", err, &l)
			}
			if res.ResolvedVersion != tc.want || res.Shallow != tc.shallow {
				t.Fatalf("got %s shallow=%v, want %s shallow=%v", res.ResolvedVersion, res.Shallow, tc.want, tc.shallow)
			}
			if got := l.has("not in the shallow history"); got != tc.deepen {
				t.Fatalf("deepened = %v, want %v\n%s", got, tc.deepen, &l)
			}
			if !l.has("(depth 1)") {
				t.Errorf("no depth in the log:\n%s", &l)
			}
			checkCheckout(t, fx, dest, tc.want)
		})
	}
}

func TestFetchGitCacheReuse(t *testing.T) {
	fx := newFixture(t)
	gs := serveGit(t, fx)
	cache := t.TempDir()
	fetch := func(version string, depth int32) (Result, *logs) {
		t.Helper()
		var l logs
		dest := filepath.Join(t.TempDir(), "src")
		res, err := Fetch(context.Background(), Spec{Type: TypeGitHub, Location: gs.URL, Version: version, GitCloneDepth: depth}, dest,
			Options{CacheDir: cache, Log: l.log})
		if err != nil {
			t.Fatalf("%v\n%s", err, &l)
		}
		checkCheckout(t, fx, dest, res.ResolvedVersion)
		return res, &l
	}
	cacheRepo := filepath.Join(cache, cacheKey(gs.URL)+".git")
	packDir := filepath.Join(cacheRepo, "objects", "pack")

	res, l := fetch("", 0)
	if res.CacheReused || !l.has("into the source cache") || res.ResolvedVersion != fx.c4 {
		t.Fatalf("first fetch: %+v\n%s", res, l)
	}
	before := packIndexes(t, packDir)

	c5 := fx.commitMain(t, "five\n")
	res, l = fetch("", 0)
	if !res.CacheReused || !l.has("Updating the cached repository") || res.ResolvedVersion != c5 {
		t.Fatalf("second fetch: %+v\n%s", res, l)
	}
	// Only the new commit's objects crossed the wire: one new pack with
	// the commit, its root tree and the new README blob.
	after := packIndexes(t, packDir)
	var added []string
	for idx, n := range after {
		if _, ok := before[idx]; !ok {
			added = append(added, fmt.Sprintf("%s:%d", filepath.Base(idx), n))
			if n != 3 {
				t.Errorf("the update fetched %d objects, want 3 (commit, tree, blob)", n)
			}
		}
	}
	if len(added) != 1 {
		t.Fatalf("new packs in the cache: %v", added)
	}

	// Nothing new: no new pack; a shallow checkout from the cache.
	uploads := gs.packs.Load()
	res, _ = fetch("main", 1)
	if !res.CacheReused || !res.Shallow || res.ResolvedVersion != c5 {
		t.Fatalf("third fetch: %+v", res)
	}
	if got := len(packIndexes(t, packDir)); got != len(after) {
		t.Fatalf("an up-to-date cache grew to %d packs", got)
	}
	if gs.packs.Load() != uploads {
		t.Fatalf("an up-to-date cache downloaded a pack")
	}

	// A pull request ref is fetched into the cache on demand.
	if res, _ = fetch("pr/7", 0); res.ResolvedVersion != fx.p1 {
		t.Fatalf("pr/7 from cache: %+v", res)
	}
	if got := gitCLI(t, cacheRepo, "rev-parse", "refs/pull/7/head"); got != fx.p1 {
		t.Fatalf("cached refs/pull/7/head = %s", got)
	}
}

func TestFetchGitCacheConcurrent(t *testing.T) {
	fx := newFixture(t)
	gs := serveGit(t, fx)
	cache := t.TempDir()
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	results := make([]Result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dest := filepath.Join(t.TempDir(), "src")
			results[i], errs[i] = Fetch(context.Background(), Spec{Type: TypeGitHub, Location: gs.URL}, dest, Options{CacheDir: cache})
		}()
	}
	wg.Wait()
	reused := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("fetch %d: %v", i, errs[i])
		}
		if results[i].ResolvedVersion != fx.c4 {
			t.Fatalf("fetch %d resolved %s", i, results[i].ResolvedVersion)
		}
		if results[i].CacheReused {
			reused++
		}
	}
	if reused != n-1 {
		t.Fatalf("%d fetches reused the cache, want %d (exactly one creates it)", reused, n-1)
	}
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 { // <key>.git and <key>.lock
		t.Fatalf("cache holds %v", entries)
	}
	gitCLI(t, filepath.Join(cache, cacheKey(gs.URL)+".git"), "fsck", "--no-progress")
}

func TestFetchGitCacheLockHonoursContext(t *testing.T) {
	cache := t.TempDir()
	loc := "http://127.0.0.1:1/never.git"
	unlock, _, err := lockFile(context.Background(), filepath.Join(cache, cacheKey(loc)+".lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Fetch(ctx, Spec{Type: TypeGitHub, Location: loc}, filepath.Join(t.TempDir(), "src"), Options{CacheDir: cache})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled while the cache is locked", err)
	}
}

func TestFetchGitHTTPAuth(t *testing.T) {
	fx := newFixture(t)
	gs := serveGit(t, fx)
	gs.requireAuth("builder", "s3cret")
	withCreds := strings.Replace(gs.URL, "http://", "http://builder:s3cret@", 1)
	tests := []struct {
		name     string
		location string
		auth     *BasicAuth
		cache    bool
		wantErr  bool
	}{
		{name: "no credentials", location: gs.URL, wantErr: true},
		{name: "wrong password", location: gs.URL, auth: &BasicAuth{Username: "builder", Password: "nope"}, wantErr: true},
		{name: "Options.Auth", location: gs.URL, auth: &BasicAuth{Username: "builder", Password: "s3cret"}},
		{name: "credentials in URL", location: withCreds},
		{name: "credentials in URL, cached", location: withCreds, cache: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "src")
			opts := Options{Auth: tc.auth}
			if tc.cache {
				opts.CacheDir = t.TempDir()
			}
			res, err := Fetch(context.Background(), Spec{Type: TypeGitHubEnterprise, Location: tc.location}, dest, opts)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "authentication") {
					t.Fatalf("err = %v, want an authentication error", err)
				}
				return
			}
			if err != nil || res.ResolvedVersion != fx.c4 {
				t.Fatalf("%+v, %v", res, err)
			}
			if res.RepoURL != gs.URL {
				t.Errorf("RepoURL = %q, want %q without the password", res.RepoURL, gs.URL)
			}
			cfg, _ := os.ReadFile(filepath.Join(dest, ".git", "config"))
			if strings.Contains(string(cfg), "s3cret") || !strings.Contains(string(cfg), gs.URL) {
				t.Errorf(".git/config:\n%s", cfg)
			}
			if tc.cache {
				cfg, _ := os.ReadFile(filepath.Join(opts.CacheDir, cacheKey(gs.URL)+".git", "config"))
				if strings.Contains(string(cfg), "s3cret") {
					t.Errorf("the cache config holds the password:\n%s", cfg)
				}
			}
		})
	}
}

func TestFetchGitSubmodules(t *testing.T) {
	requireGit(t)
	root := t.TempDir()
	lib := filepath.Join(root, "lib")
	app := filepath.Join(root, "app")
	for _, d := range []string{lib, app} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		gitCLI(t, d, "init", "-q")
	}
	writeFile(t, filepath.Join(lib, "lib.txt"), "library\n", 0o644)
	gitCLI(t, lib, "add", "-A")
	gitCLI(t, lib, "commit", "-q", "-m", "lib")
	writeFile(t, filepath.Join(app, "main.txt"), "app\n", 0o644)
	gitCLI(t, app, "submodule", "add", "-q", lib, "vendor/lib")
	gitCLI(t, app, "commit", "-q", "-am", "app")

	for _, fetchSubs := range []bool{false, true} {
		t.Run(fmt.Sprint("FetchSubmodules=", fetchSubs), func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "src")
			_, err := Fetch(context.Background(), Spec{Type: TypeGitHub, Location: app, FetchSubmodules: fetchSubs}, dest, Options{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dest, "vendor", "lib", "lib.txt"))
			if fetchSubs && string(b) != "library\n" {
				t.Fatalf("submodule file: %q, %v", b, err)
			}
			if !fetchSubs && err == nil {
				t.Fatalf("submodule checked out without FetchSubmodules")
			}
		})
	}
}

func TestFetchGitLocationErrors(t *testing.T) {
	requireGit(t)
	notRepo := t.TempDir()
	empty := filepath.Join(t.TempDir(), "empty.git")
	gitCLI(t, filepath.Dir(empty), "init", "-q", "--bare", empty)
	tests := []struct {
		location string
		is       error
		msg      string
	}{
		{"/nonexistent/repo.git", ErrNotFound, "does not exist"},
		{"file:///nonexistent/repo", ErrNotFound, "does not exist"},
		{notRepo, ErrNotFound, "is not a git repository"},
		{empty, ErrInvalidVersion, "has no commits"},
		{"git@github.com:owner/repo.git", ErrUnsupported, "ssh"},
		{"ssh://git@example.com/owner/repo.git", ErrUnsupported, "ssh"},
		{"relative/repo", ErrUnsupported, "neither a URL nor an absolute path"},
		{"ftp://example.com/repo.git", ErrUnsupported, "scheme"},
	}
	for _, tc := range tests {
		t.Run(tc.location, func(t *testing.T) {
			_, err := Fetch(context.Background(), Spec{Type: TypeCodeCommit, Location: tc.location}, filepath.Join(t.TempDir(), "src"), Options{})
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.is, tc.msg)
			}
		})
	}
}

func TestFetchGitHTTPNotFound(t *testing.T) {
	fx := newFixture(t)
	gs := serveGit(t, fx)
	_, err := Fetch(context.Background(), Spec{Type: TypeGitHub, Location: gs.URL + "-missing"}, filepath.Join(t.TempDir(), "src"), Options{})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

// packIndexes maps each pack index in dir to its object count.
func packIndexes(t *testing.T, dir string) map[string]int {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.idx"))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		idx := idxfile.NewMemoryIndex()
		err = idxfile.NewDecoder(f).Decode(idx)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		n, err := idx.Count()
		if err != nil {
			t.Fatal(err)
		}
		counts[p] = int(n)
	}
	return counts
}
