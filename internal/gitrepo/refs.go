package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

const headsPrefix = "refs/heads/"

// Branch is a branch and the commit it points to.
type Branch struct {
	Name     string // without refs/heads/
	CommitID string
}

// Commit is a commit object.
type Commit struct {
	ID        string
	TreeID    string
	Parents   []string
	Author    Signature
	Committer Signature
	Message   string
}

// Signature is the author or committer line of a commit.
type Signature struct {
	Name  string
	Email string
	When  time.Time
	// Date is git's own form, "<unix seconds> <+hhmm>", as CodeCommit
	// returns it.
	Date string
}

// Branches lists a repository's branches, sorted by name.
func (s *Store) Branches(ctx context.Context, name string) ([]Branch, error) {
	if _, err := s.Get(name); err != nil {
		return nil, err
	}
	refs, err := s.refs(ctx, s.dir(name))
	if err != nil {
		return nil, err
	}
	return branchesOf(refs), nil
}

// Branch returns one branch of a repository.
func (s *Store) Branch(ctx context.Context, name, branch string) (Branch, error) {
	if err := ValidateBranchName(branch); err != nil {
		return Branch{}, err
	}
	if _, err := s.Get(name); err != nil {
		return Branch{}, err
	}
	refs, err := s.refs(ctx, s.dir(name))
	if err != nil {
		return Branch{}, err
	}
	id, ok := refs[headsPrefix+branch]
	if !ok {
		return Branch{}, fmt.Errorf("%w: %s in %s", ErrBranchNotFound, branch, name)
	}
	return Branch{Name: branch, CommitID: id}, nil
}

// Commit returns a commit of a repository by its full id.
func (s *Store) Commit(ctx context.Context, name, id string) (Commit, error) {
	if err := ValidateCommitID(id); err != nil {
		return Commit{}, err
	}
	if _, err := s.Get(name); err != nil {
		return Commit{}, err
	}
	raw, err := s.run(ctx, s.dir(name), nil, "cat-file", "commit", id)
	if err != nil {
		var ge *GitError
		if errors.As(err, &ge) {
			return Commit{}, fmt.Errorf("%w: %s in %s", ErrCommitNotFound, id, name)
		}
		return Commit{}, err
	}
	c := parseCommit(raw)
	c.ID = id
	return c, nil
}

// CreateBranch creates branch at an existing commit.
func (s *Store) CreateBranch(ctx context.Context, name, branch, commitID string) error {
	if err := ValidateBranchName(branch); err != nil {
		return err
	}
	if err := ValidateCommitID(commitID); err != nil {
		return err
	}
	return s.changeRefs(ctx, name, func(dir string, refs map[string]string) error {
		if _, ok := refs[headsPrefix+branch]; ok {
			return fmt.Errorf("%w: %s in %s", ErrBranchExists, branch, name)
		}
		if _, err := s.run(ctx, dir, nil, "cat-file", "-e", commitID+"^{commit}"); err != nil {
			return fmt.Errorf("%w: %s in %s", ErrCommitNotFound, commitID, name)
		}
		_, err := s.run(ctx, dir, nil, "update-ref", "-m", "wharf: create branch", headsPrefix+branch, commitID, "")
		return err
	})
}

// DeleteBranch deletes a branch other than the default one and returns
// what it pointed to.
func (s *Store) DeleteBranch(ctx context.Context, name, branch string) (Branch, error) {
	if err := ValidateBranchName(branch); err != nil {
		return Branch{}, err
	}
	var deleted Branch
	err := s.changeRefs(ctx, name, func(dir string, refs map[string]string) error {
		id, ok := refs[headsPrefix+branch]
		if !ok {
			return fmt.Errorf("%w: %s in %s", ErrBranchNotFound, branch, name)
		}
		repo, err := readMeta(dir)
		if err != nil {
			return err
		}
		if repo.DefaultBranch == branch {
			return fmt.Errorf("%w: %s is the default branch of %s", ErrDefaultBranch, branch, name)
		}
		if _, err := s.run(ctx, dir, nil, "update-ref", "-d", headsPrefix+branch, id); err != nil {
			return err
		}
		deleted = Branch{Name: branch, CommitID: id}
		return nil
	})
	return deleted, err
}

// SetDefaultBranch makes an existing branch the default one (HEAD).
func (s *Store) SetDefaultBranch(ctx context.Context, name, branch string) (Repository, error) {
	if err := ValidateBranchName(branch); err != nil {
		return Repository{}, err
	}
	if err := ValidateName(name); err != nil {
		return Repository{}, err
	}
	defer s.locks.lock(name)()
	dir := s.dir(name)
	if _, err := readMeta(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Repository{}, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return Repository{}, err
	}
	refs, err := s.refs(ctx, dir)
	if err != nil {
		return Repository{}, err
	}
	if _, ok := refs[headsPrefix+branch]; !ok {
		return Repository{}, fmt.Errorf("%w: %s in %s", ErrBranchNotFound, branch, name)
	}
	if _, err := s.run(ctx, dir, nil, "symbolic-ref", "HEAD", headsPrefix+branch); err != nil {
		return Repository{}, err
	}
	return s.updateMetaLocked(name, func(r *Repository) error {
		r.DefaultBranch = branch
		return nil
	})
}

// changeRefs runs fn with the repository locked, then compares its refs
// with those before: each changed ref becomes one PushEvent, delivered
// after the lock is released. The default branch follows the refs: the
// first branch pushed to an empty repository becomes the default, and a
// deleted default is replaced by another branch. Events are reported even
// when fn fails, as a push can update some refs and reject others.
func (s *Store) changeRefs(ctx context.Context, name string, fn func(dir string, refs map[string]string) error) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	unlock := s.locks.lock(name)
	events, err := s.changeRefsLocked(ctx, name, fn)
	unlock()
	s.deliver(events)
	return err
}

func (s *Store) changeRefsLocked(ctx context.Context, name string, fn func(dir string, refs map[string]string) error) ([]PushEvent, error) {
	dir := s.dir(name)
	repo, err := readMeta(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return nil, err
	}
	before, err := s.refs(ctx, dir)
	if err != nil {
		return nil, err
	}
	fnErr := fn(dir, before)
	// The refs may have changed even if fn failed or the client went away.
	ctx = context.WithoutCancel(ctx)
	after, err := s.refs(ctx, dir)
	if err != nil {
		return nil, errors.Join(fnErr, err)
	}
	events := diffRefs(name, before, after)
	if len(events) == 0 {
		return nil, fnErr
	}
	if def := pickDefault(repo.DefaultBranch, after); def != repo.DefaultBranch {
		if def != "" {
			if _, err := s.run(ctx, dir, nil, "symbolic-ref", "HEAD", headsPrefix+def); err != nil {
				s.logger.Error("set default branch", "repo", name, "branch", def, "err", err)
			}
		}
		repo.DefaultBranch = def
	}
	repo.ModifiedAt = s.now().UTC()
	if err := writeMeta(dir, repo); err != nil {
		// The refs are updated; report them even if the metadata lags.
		s.logger.Error("write repository metadata", "repo", name, "err", err)
	}
	return events, fnErr
}

// pickDefault keeps the current default branch while it exists, and
// otherwise chooses main, master or the first branch by name ("" when
// there is none).
func pickDefault(current string, refs map[string]string) string {
	if _, ok := refs[headsPrefix+current]; ok && current != "" {
		return current
	}
	for _, b := range []string{"main", "master"} {
		if _, ok := refs[headsPrefix+b]; ok {
			return b
		}
	}
	if bs := branchesOf(refs); len(bs) > 0 {
		return bs[0].Name
	}
	return ""
}

// refs returns every ref of the repository at dir and what it points to.
func (s *Store) refs(ctx context.Context, dir string) (map[string]string, error) {
	out, err := s.run(ctx, dir, nil, "for-each-ref", "--format=%(objectname) %(refname)")
	if err != nil {
		return nil, err
	}
	refs := make(map[string]string)
	for _, line := range strings.Split(string(out), "\n") {
		id, ref, ok := strings.Cut(line, " ")
		if ok {
			refs[ref] = id
		}
	}
	return refs, nil
}

func branchesOf(refs map[string]string) []Branch {
	var out []Branch
	for ref, id := range refs {
		if b, ok := strings.CutPrefix(ref, headsPrefix); ok {
			out = append(out, Branch{Name: b, CommitID: id})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// diffRefs returns one event per ref that differs, sorted by ref.
func diffRefs(repo string, before, after map[string]string) []PushEvent {
	var events []PushEvent
	for ref, old := range before {
		if now, ok := after[ref]; !ok {
			events = append(events, PushEvent{Repo: repo, Ref: ref, Old: old, New: ZeroID})
		} else if now != old {
			events = append(events, PushEvent{Repo: repo, Ref: ref, Old: old, New: now})
		}
	}
	for ref, now := range after {
		if _, ok := before[ref]; !ok {
			events = append(events, PushEvent{Repo: repo, Ref: ref, Old: ZeroID, New: now})
		}
	}
	sort.Slice(events, func(i, j int) bool { return events[i].Ref < events[j].Ref })
	return events
}

// parseCommit reads a raw commit object (git cat-file commit).
func parseCommit(raw []byte) Commit {
	var c Commit
	header, message, _ := bytes.Cut(raw, []byte("\n\n"))
	c.Message = string(message)
	for _, line := range strings.Split(string(header), "\n") {
		key, value, _ := strings.Cut(line, " ")
		switch key {
		case "tree":
			c.TreeID = value
		case "parent":
			c.Parents = append(c.Parents, value)
		case "author":
			c.Author = parseSignature(value)
		case "committer":
			c.Committer = parseSignature(value)
		}
	}
	return c
}

// parseSignature reads "Name <email> 1700000000 +0100".
func parseSignature(v string) Signature {
	var sig Signature
	lt, gt := strings.Index(v, "<"), strings.LastIndex(v, ">")
	if lt < 0 || gt < lt {
		sig.Name = strings.TrimSpace(v)
		return sig
	}
	sig.Name = strings.TrimSpace(v[:lt])
	sig.Email = v[lt+1 : gt]
	sig.Date = strings.TrimSpace(v[gt+1:])
	secs, tz, _ := strings.Cut(sig.Date, " ")
	if n, err := strconv.ParseInt(secs, 10, 64); err == nil {
		sig.When = time.Unix(n, 0).In(zone(tz))
	}
	return sig
}

// zone turns git's "+hhmm" offset into a location.
func zone(tz string) *time.Location {
	if len(tz) != 5 || (tz[0] != '+' && tz[0] != '-') {
		return time.UTC
	}
	h, err1 := strconv.Atoi(tz[1:3])
	m, err2 := strconv.Atoi(tz[3:5])
	if err1 != nil || err2 != nil {
		return time.UTC
	}
	off := h*3600 + m*60
	if tz[0] == '-' {
		off = -off
	}
	return time.FixedZone(tz, off)
}
