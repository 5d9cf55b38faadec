package source

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// target is a sourceVersion resolved against a repository's refs: what to
// fetch and which commit to check out.
type target struct {
	// ref is the ref to fetch; "" means every branch and tag (the commit
	// is not the tip of any ref).
	ref plumbing.ReferenceName
	// commit is the wanted commit id, full or abbreviated (at least 7 hex
	// digits); "" means the tip of ref.
	commit string
}

// refMap holds a repository's refs by name, HEAD included (symbolic when
// the server says where it points).
type refMap map[plumbing.ReferenceName]*plumbing.Reference

func newRefMap(refs []*plumbing.Reference) refMap {
	m := refMap{}
	for _, r := range refs {
		m[r.Name()] = r
	}
	return m
}

const minAbbrev = 7

// resolveVersion resolves a CodeBuild sourceVersion against refs. Lookup
// order for a bare name: a full commit id, then refs/heads/<name> (as git
// clone --branch does), then refs/tags/<name>, then an abbreviated commit
// id.
func resolveVersion(version string, refs refMap) (target, error) {
	v := strings.TrimSpace(version)
	switch {
	case v == "" || v == "HEAD":
		return resolveHead(version, refs)
	case strings.HasPrefix(v, "pr/"):
		n := strings.TrimPrefix(v, "pr/")
		if n == "" || strings.Trim(n, "0123456789") != "" {
			return target{}, invalidVersion(version, "pr/ must be followed by a pull request number")
		}
		for _, name := range []string{"refs/pull/" + n + "/head", "refs/merge-requests/" + n + "/head"} {
			if _, ok := refs[plumbing.ReferenceName(name)]; ok {
				return target{ref: plumbing.ReferenceName(name)}, nil
			}
		}
		return target{}, invalidVersion(version, "no pull request ref refs/pull/"+n+"/head")
	case strings.Contains(v, "^{"):
		i := strings.Index(v, "^{")
		refPart, sha := v[:i], strings.TrimSuffix(v[i+2:], "}")
		if !strings.HasSuffix(v, "}") || !isCommitID(sha) {
			return target{}, invalidVersion(version, "want ref^{commit-id}")
		}
		t, err := resolveVersion(refPart, refs)
		if err != nil {
			return target{}, invalidVersion(version, "ref "+refPart+" not found")
		}
		return target{ref: t.ref, commit: strings.ToLower(sha)}, nil
	case strings.HasPrefix(v, "refs/"):
		if _, ok := refs[plumbing.ReferenceName(v)]; !ok {
			return target{}, invalidVersion(version, "no such ref")
		}
		return target{ref: plumbing.ReferenceName(v)}, nil
	case len(v) == 40 && isCommitID(v):
		c := strings.ToLower(v)
		return target{ref: tipWithPrefix(refs, c), commit: c}, nil
	}
	for _, name := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(v), plumbing.NewTagReferenceName(v)} {
		if _, ok := refs[name]; ok {
			return target{ref: name}, nil
		}
	}
	if isCommitID(v) {
		c := strings.ToLower(v)
		return target{ref: tipWithPrefix(refs, c), commit: c}, nil
	}
	return target{}, invalidVersion(version, "no branch, tag or commit of that name")
}

func resolveHead(version string, refs refMap) (target, error) {
	head, ok := refs[plumbing.HEAD]
	if !ok {
		return target{}, invalidVersion(version, "the repository has no default branch (HEAD)")
	}
	if head.Type() == plumbing.SymbolicReference {
		if _, ok := refs[head.Target()]; !ok {
			return target{}, invalidVersion(version, "the default branch "+head.Target().Short()+" has no commits")
		}
		return target{ref: head.Target()}, nil
	}
	return target{ref: plumbing.HEAD}, nil
}

// tipWithPrefix returns the ref whose tip is the commit id (or abbreviated
// id) c, preferring branches over tags over other refs, so a commit at a
// branch tip can be fetched shallowly by ref. "" when there is none or the
// prefix names different objects.
func tipWithPrefix(refs refMap, c string) plumbing.ReferenceName {
	var names []plumbing.ReferenceName
	var hash plumbing.Hash
	for name, r := range refs {
		if name == plumbing.HEAD || r.Type() != plumbing.HashReference || !strings.HasPrefix(r.Hash().String(), c) {
			continue
		}
		if len(names) > 0 && r.Hash() != hash {
			return ""
		}
		hash = r.Hash()
		names = append(names, name)
	}
	rank := func(n plumbing.ReferenceName) int {
		switch {
		case n.IsBranch():
			return 0
		case n.IsTag():
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

func isCommitID(s string) bool {
	if len(s) < minAbbrev || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func invalidVersion(version, why string) error {
	if version == "" {
		version = `""`
	}
	return fmt.Errorf("%w %s: %s", ErrInvalidVersion, version, why)
}
