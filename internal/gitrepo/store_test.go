package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/gitrepo"
)

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name    string
		invalid bool
	}{
		{"app", false},
		{"My_App-2.0", false},
		{strings.Repeat("a", 100), false},
		{"", true},
		{strings.Repeat("a", 101), true},
		{"app.git", true},
		{"app.GIT", true},
		{"a/b", true},
		{"a b", true},
		{".", true},
		{"..", true},
		{"héllo", true},
	} {
		err := gitrepo.ValidateName(tc.name)
		var inv *gitrepo.InvalidError
		if tc.invalid != errors.As(err, &inv) {
			t.Errorf("ValidateName(%q) = %v", tc.name, err)
			continue
		}
		if tc.invalid && (inv.Field != gitrepo.FieldRepositoryName || inv.Missing() != (tc.name == "")) {
			t.Errorf("ValidateName(%q) = %+v", tc.name, inv)
		}
	}
}

func TestValidateBranchName(t *testing.T) {
	for _, b := range []string{"main", "feature/x", "v1.2", "release-2024_01"} {
		if err := gitrepo.ValidateBranchName(b); err != nil {
			t.Errorf("%q: %v", b, err)
		}
	}
	for _, b := range []string{"", "-x", "a..b", "a b", "a~1", "a^", "a:b", "/a", "a/", "a//b", "a.lock", ".a", "a/.b", "HEAD", "a@{1}", strings.Repeat("b", 257)} {
		var inv *gitrepo.InvalidError
		if err := gitrepo.ValidateBranchName(b); !errors.As(err, &inv) || inv.Field != gitrepo.FieldBranchName {
			t.Errorf("%q: %v", b, err)
		}
	}
}

func TestRepositoryLifecycle(t *testing.T) {
	requireGit(t)
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "git")
	clock := &fixedClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	s := gitrepo.New(root, gitrepo.WithClock(clock.Now))

	if repos, err := s.List(); err != nil || len(repos) != 0 {
		t.Fatalf("list before the root exists: %v %v", repos, err)
	}
	var inv *gitrepo.InvalidError
	if _, err := s.Create(ctx, "bad name", ""); !errors.As(err, &inv) || inv.Field != "repositoryName" {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := s.Create(ctx, "ok", strings.Repeat("d", 1001)); !errors.As(err, &inv) || inv.Field != "repositoryDescription" {
		t.Fatalf("long description: %v", err)
	}
	b, err := s.Create(ctx, "beta", "second")
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	a, err := s.Create(ctx, "alpha", "first")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.ID == b.ID || len(a.ID) != 36 || a.ClonePath != "/git/alpha" || a.DefaultBranch != "" ||
		!a.CreatedAt.Equal(clock.Now()) || !a.ModifiedAt.Equal(a.CreatedAt) || a.Description != "first" {
		t.Fatalf("created %+v", a)
	}
	if _, err := s.Create(ctx, "alpha", ""); !errors.Is(err, gitrepo.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := s.Get("gamma"); !errors.Is(err, gitrepo.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 2 {
		t.Fatalf("root holds %v, want the two repositories only", entries)
	}

	// Another store on the same root (a restarted server) sees the same.
	s2 := gitrepo.New(root)
	repos, err := s2.List()
	if err != nil || len(repos) != 2 || repos[0].Name != "alpha" || repos[1].Name != "beta" || repos[0].ID != a.ID {
		t.Fatalf("list %+v %v", repos, err)
	}
	clock.Add(time.Minute)
	upd, err := s.SetDescription("alpha", "changed")
	if err != nil || upd.Description != "changed" || !upd.ModifiedAt.Equal(clock.Now()) || !upd.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("set description %+v %v", upd, err)
	}
	if got, _ := s2.Get("alpha"); got.Description != "changed" {
		t.Fatalf("description not persisted: %+v", got)
	}

	del, err := s.Delete("alpha")
	if err != nil || del.ID != a.ID {
		t.Fatalf("delete %+v %v", del, err)
	}
	if _, err := s.Delete("alpha"); !errors.Is(err, gitrepo.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
	if repos, _ := s.List(); len(repos) != 1 || repos[0].Name != "beta" {
		t.Fatalf("after delete %+v", repos)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Fatalf("root holds %v after delete", entries)
	}
	// The name can be reused, with a new id.
	again, err := s.Create(ctx, "alpha", "")
	if err != nil || again.ID == a.ID {
		t.Fatalf("recreate %+v %v", again, err)
	}
}

func TestBranchAPI(t *testing.T) {
	f := newFixture(t, gitrepo.HandlerOptions{})
	ctx := context.Background()
	f.create(t, "app")
	if bs, err := f.store.Branches(ctx, "app"); err != nil || len(bs) != 0 {
		t.Fatalf("branches of an empty repository: %v %v", bs, err)
	}
	if _, err := f.store.Branches(ctx, "nope"); !errors.Is(err, gitrepo.ErrNotFound) {
		t.Fatalf("branches of a missing repository: %v", err)
	}
	work := f.clone(t, "app")
	c1 := f.commit(t, work, "a", "a", "one")
	f.mustGit(t, work, "push", "--quiet", "origin", "HEAD:refs/heads/trunk")
	wantEvents(t, f, ev("refs/heads/trunk", gitrepo.ZeroID, c1))
	if repo, _ := f.store.Get("app"); repo.DefaultBranch != "trunk" {
		t.Fatalf("first pushed branch is not the default: %+v", repo)
	}

	if err := f.store.CreateBranch(ctx, "app", "dev", c1); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, f, ev("refs/heads/dev", gitrepo.ZeroID, c1))
	if err := f.store.CreateBranch(ctx, "app", "dev", c1); !errors.Is(err, gitrepo.ErrBranchExists) {
		t.Fatalf("create existing branch: %v", err)
	}
	if err := f.store.CreateBranch(ctx, "app", "x", strings.Repeat("a", 40)); !errors.Is(err, gitrepo.ErrCommitNotFound) {
		t.Fatalf("create at a missing commit: %v", err)
	}
	var inv *gitrepo.InvalidError
	if err := f.store.CreateBranch(ctx, "app", "x", "abc"); !errors.As(err, &inv) || inv.Field != "commitId" {
		t.Fatalf("create at a short id: %v", err)
	}
	wantEvents(t, f)

	bs, err := f.store.Branches(ctx, "app")
	if err != nil || len(bs) != 2 || bs[0] != (gitrepo.Branch{Name: "dev", CommitID: c1}) || bs[1].Name != "trunk" {
		t.Fatalf("branches %+v %v", bs, err)
	}
	if _, err := f.store.Branch(ctx, "app", "nope"); !errors.Is(err, gitrepo.ErrBranchNotFound) {
		t.Fatalf("missing branch: %v", err)
	}
	if _, err := f.store.DeleteBranch(ctx, "app", "trunk"); !errors.Is(err, gitrepo.ErrDefaultBranch) {
		t.Fatalf("delete the default branch: %v", err)
	}
	repo, err := f.store.SetDefaultBranch(ctx, "app", "dev")
	if err != nil || repo.DefaultBranch != "dev" {
		t.Fatalf("set default %+v %v", repo, err)
	}
	// HEAD follows: a clone checks out dev.
	if head := f.mustGit(t, f.clone(t, "app"), "rev-parse", "--abbrev-ref", "HEAD"); head != "dev" {
		t.Fatalf("clone checked out %s", head)
	}
	del, err := f.store.DeleteBranch(ctx, "app", "trunk")
	if err != nil || del.CommitID != c1 {
		t.Fatalf("delete %+v %v", del, err)
	}
	wantEvents(t, f, ev("refs/heads/trunk", c1, gitrepo.ZeroID))

	// Git refuses to delete the default branch (HEAD), as CodeCommit does.
	f.mustGit(t, work, "push", "--quiet", "origin", "HEAD:refs/heads/zeta")
	wantEvents(t, f, ev("refs/heads/zeta", gitrepo.ZeroID, c1))
	if out, err := f.git(work, "push", "origin", "--delete", "dev"); err == nil || !strings.Contains(out, "deletion of the current branch prohibited") {
		t.Fatalf("push deleting the default branch: %v\n%s", err, out)
	}
	wantEvents(t, f)
	if repo, _ := f.store.Get("app"); repo.DefaultBranch != "dev" {
		t.Fatalf("default after a refused deletion: %+v", repo)
	}
}

func TestCommit(t *testing.T) {
	f := newFixture(t, gitrepo.HandlerOptions{})
	ctx := context.Background()
	f.create(t, "app")
	work := f.clone(t, "app")
	c1 := f.commit(t, work, "a", "a", "one")
	if err := os.WriteFile(filepath.Join(work, "b"), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.mustGit(t, work, "add", "b")
	f.mustGit(t, work, "commit", "--quiet", "-m", "Subject line\n\nBody text.")
	c2 := f.mustGit(t, work, "rev-parse", "HEAD")
	tree := f.mustGit(t, work, "rev-parse", "HEAD^{tree}")
	f.mustGit(t, work, "push", "--quiet", "origin", "HEAD:main")

	c, err := f.store.Commit(ctx, "app", c2)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != c2 || c.TreeID != tree || len(c.Parents) != 1 || c.Parents[0] != c1 ||
		c.Message != "Subject line\n\nBody text.\n" || c.Author.Name != "Ada Lovelace" || c.Committer.Email != "ada@example.com" ||
		c.Author.When.IsZero() || !strings.HasSuffix(c.Author.Date, c.Author.When.Format("-0700")) {
		t.Fatalf("commit %+v", c)
	}
	if _, err := f.store.Commit(ctx, "app", strings.Repeat("0", 40)); !errors.Is(err, gitrepo.ErrCommitNotFound) {
		t.Fatalf("missing commit: %v", err)
	}
	if _, err := f.store.Commit(ctx, "app", tree); !errors.Is(err, gitrepo.ErrCommitNotFound) {
		t.Fatalf("a tree is not a commit: %v", err)
	}
}
