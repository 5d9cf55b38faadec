package source_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/wharfhq/wharf/internal/build/source"
)

// A GitHub-type source on the build host, fetched at a branch with a
// depth-1 clone, the way the build agent runs DOWNLOAD_SOURCE.
func ExampleFetch() {
	tmp, _ := os.MkdirTemp("", "source-example")
	defer os.RemoveAll(tmp)

	// A repository with one commit on master.
	repoDir := filepath.Join(tmp, "app")
	repo, _ := git.PlainInit(repoDir, false)
	_ = os.WriteFile(filepath.Join(repoDir, "buildspec.yml"), []byte("version: 0.2\n"), 0o644)
	wt, _ := repo.Worktree()
	_, _ = wt.Add("buildspec.yml")
	sig := &object.Signature{Name: "dev", Email: "dev@example.com", When: time.Unix(1700000000, 0).UTC()}
	head, _ := wt.Commit("initial", &git.CommitOptions{Author: sig, Committer: sig})

	res, err := source.Fetch(context.Background(),
		source.Spec{Type: source.TypeGitHub, Location: repoDir, Version: "master", GitCloneDepth: 1},
		filepath.Join(tmp, "src"),
		source.Options{Log: func(msg string) { fmt.Println(strings.ReplaceAll(msg, tmp, "$TMP")) }})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Ref, res.ResolvedVersion == head.String(), res.Shallow)
	_, err = os.Stat(filepath.Join(tmp, "src", "buildspec.yml"))
	fmt.Println("buildspec.yml checked out:", err == nil)
	// Output:
	// Source is located at $TMP/app
	// Source version master resolves to refs/heads/master
	// Cloning $TMP/app (depth 1)
	// Checked out d2d2ef8a8d899bd68767f702f97561bbbe0e0e97
	// refs/heads/master true false
	// buildspec.yml checked out: true
}
