package source

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestResolveVersion(t *testing.T) {
	const (
		mainTip = "1111111111111111111111111111111111111111"
		featTip = "2222222222222222222222222222222222222222"
		tagObj  = "3333333333333333333333333333333333333333"
		prTip   = "4444444444444444444444444444444444444444"
		other   = "abcdef0123456789abcdef0123456789abcdef01"
	)
	refs := newRefMap([]*plumbing.Reference{
		plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/main"),
		plumbing.NewReferenceFromStrings("refs/heads/main", mainTip),
		plumbing.NewReferenceFromStrings("refs/heads/feature", featTip),
		plumbing.NewReferenceFromStrings("refs/tags/v1", tagObj),
		plumbing.NewReferenceFromStrings("refs/tags/main-tag", mainTip),
		plumbing.NewReferenceFromStrings("refs/pull/7/head", prTip),
		plumbing.NewReferenceFromStrings("refs/merge-requests/9/head", prTip),
	})
	tests := []struct {
		version string
		want    target
		err     string // substring of the error; "" = no error
	}{
		{version: "", want: target{ref: "refs/heads/main"}},
		{version: "HEAD", want: target{ref: "refs/heads/main"}},
		{version: "main", want: target{ref: "refs/heads/main"}},
		{version: "feature", want: target{ref: "refs/heads/feature"}},
		{version: "v1", want: target{ref: "refs/tags/v1"}},
		{version: "refs/heads/feature", want: target{ref: "refs/heads/feature"}},
		{version: "refs/tags/v1", want: target{ref: "refs/tags/v1"}},
		{version: "pr/7", want: target{ref: "refs/pull/7/head"}},
		{version: "pr/9", want: target{ref: "refs/merge-requests/9/head"}},
		// A commit at a branch tip is fetched by that branch, branches
		// winning over tags.
		{version: mainTip, want: target{ref: "refs/heads/main", commit: mainTip}},
		{version: strings.ToUpper(featTip), want: target{ref: "refs/heads/feature", commit: featTip}},
		{version: other, want: target{commit: other}},
		{version: "abcdef0", want: target{commit: "abcdef0"}},
		{version: "2222222", want: target{ref: "refs/heads/feature", commit: "2222222"}},
		{version: "refs/heads/main^{" + other + "}", want: target{ref: "refs/heads/main", commit: other}},
		{version: "feature^{abcdef0}", want: target{ref: "refs/heads/feature", commit: "abcdef0"}},
		{version: "nope", err: "invalid source version nope: no branch, tag or commit of that name"},
		{version: "abc", err: "invalid source version abc"},
		{version: "refs/heads/nope", err: "invalid source version refs/heads/nope: no such ref"},
		{version: "pr/8", err: "invalid source version pr/8"},
		{version: "pr/x", err: "pull request number"},
		{version: "nope^{" + other + "}", err: "ref nope not found"},
		{version: "main^{xyz}", err: "want ref^{commit-id}"},
		{version: "main^{" + other, err: "want ref^{commit-id}"},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			got, err := resolveVersion(tc.version, refs)
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrInvalidVersion) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want ErrInvalidVersion containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestResolveVersionHeadless(t *testing.T) {
	detached := newRefMap([]*plumbing.Reference{
		plumbing.NewReferenceFromStrings("HEAD", "1111111111111111111111111111111111111111"),
	})
	if got, err := resolveVersion("", detached); err != nil || got.ref != plumbing.HEAD {
		t.Fatalf("detached HEAD: %+v, %v", got, err)
	}
	unborn := newRefMap([]*plumbing.Reference{plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/main")})
	if _, err := resolveVersion("", unborn); !errors.Is(err, ErrInvalidVersion) {
		t.Fatalf("unborn default branch: %v", err)
	}
	if _, err := resolveVersion("", refMap{}); !errors.Is(err, ErrInvalidVersion) {
		t.Fatalf("no HEAD: %v", err)
	}
}
