package codecommit

import (
	"context"
	"errors"

	"github.com/wharfhq/wharf/internal/api"
	w "github.com/wharfhq/wharf/internal/api/codecommit/ccwire"
	"github.com/wharfhq/wharf/internal/gitrepo"
)

// required checks the members the model leaves optional but CodeCommit
// requires.
func required(repo, branch string) error {
	if repo == "" {
		return api.Errorf(w.ErrRepositoryNameRequiredException, msgNameRequired)
	}
	if branch == "" {
		return api.Errorf(w.ErrBranchNameRequiredException, msgBranchRequired)
	}
	return nil
}

// GetBranch implements CodeCommit GetBranch.
func (h *Handler) GetBranch(ctx context.Context, in *w.GetBranchInput) (*w.GetBranchOutput, error) {
	if err := required(in.RepositoryName, in.BranchName); err != nil {
		return nil, err
	}
	b, err := h.store.Branch(ctx, in.RepositoryName, in.BranchName)
	if err != nil {
		return nil, mapError(err, subject{repo: in.RepositoryName, branch: in.BranchName})
	}
	return &w.GetBranchOutput{Branch: &w.BranchInfo{BranchName: b.Name, CommitId: b.CommitID}}, nil
}

// ListBranches implements CodeCommit ListBranches, sorted by name.
func (h *Handler) ListBranches(ctx context.Context, in *w.ListBranchesInput) (*w.ListBranchesOutput, error) {
	branches, err := h.store.Branches(ctx, in.RepositoryName)
	if err != nil {
		return nil, mapError(err, subject{repo: in.RepositoryName})
	}
	items, next, err := page(branches, func(b gitrepo.Branch) string { return b.Name }, false, "branches/"+in.RepositoryName, in.NextToken, h.pageSize)
	if err != nil {
		return nil, err
	}
	out := &w.ListBranchesOutput{Branches: []string{}, NextToken: next}
	for _, b := range items {
		out.Branches = append(out.Branches, b.Name)
	}
	return out, nil
}

// CreateBranch implements CodeCommit CreateBranch.
func (h *Handler) CreateBranch(ctx context.Context, in *w.CreateBranchInput) (*struct{}, error) {
	err := h.store.CreateBranch(ctx, in.RepositoryName, in.BranchName, in.CommitId)
	if err != nil {
		return nil, mapError(err, subject{repo: in.RepositoryName, branch: in.BranchName, commit: in.CommitId,
			commitMissing: w.ErrCommitDoesNotExistException})
	}
	return nil, nil
}

// DeleteBranch implements CodeCommit DeleteBranch: the default branch
// cannot be deleted, and deleting a branch that does not exist succeeds
// without deletedBranch, as in AWS.
func (h *Handler) DeleteBranch(ctx context.Context, in *w.DeleteBranchInput) (*w.DeleteBranchOutput, error) {
	b, err := h.store.DeleteBranch(ctx, in.RepositoryName, in.BranchName)
	if errors.Is(err, gitrepo.ErrBranchNotFound) {
		return &w.DeleteBranchOutput{}, nil
	}
	if err != nil {
		return nil, mapError(err, subject{repo: in.RepositoryName, branch: in.BranchName})
	}
	return &w.DeleteBranchOutput{DeletedBranch: &w.BranchInfo{BranchName: b.Name, CommitId: b.CommitID}}, nil
}

// UpdateDefaultBranch implements CodeCommit UpdateDefaultBranch.
func (h *Handler) UpdateDefaultBranch(ctx context.Context, in *w.UpdateDefaultBranchInput) (*struct{}, error) {
	if _, err := h.store.SetDefaultBranch(ctx, in.RepositoryName, in.DefaultBranchName); err != nil {
		return nil, mapError(err, subject{repo: in.RepositoryName, branch: in.DefaultBranchName})
	}
	return nil, nil
}

// GetCommit implements CodeCommit GetCommit.
func (h *Handler) GetCommit(ctx context.Context, in *w.GetCommitInput) (*w.GetCommitOutput, error) {
	c, err := h.store.Commit(ctx, in.RepositoryName, in.CommitId)
	if err != nil {
		return nil, mapError(err, subject{repo: in.RepositoryName, commit: in.CommitId})
	}
	return &w.GetCommitOutput{Commit: &w.Commit{
		CommitId:  c.ID,
		TreeId:    c.TreeID,
		Parents:   append([]string{}, c.Parents...),
		Message:   c.Message,
		Author:    &w.UserInfo{Name: c.Author.Name, Email: c.Author.Email, Date: c.Author.Date},
		Committer: &w.UserInfo{Name: c.Committer.Name, Email: c.Committer.Email, Date: c.Committer.Date},
	}}, nil
}
