package codecommit

import (
	"context"
	"errors"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/codecommit/ccwire"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/gitrepo"
)

func (h *Handler) arn(name string) string {
	return arn.ARN{Partition: "aws", Service: "codecommit", Region: h.region, Account: h.account, Resource: name}.String()
}

func (h *Handler) toWire(ctx context.Context, r gitrepo.Repository) *w.RepositoryMetadata {
	return &w.RepositoryMetadata{
		AccountId:             h.account,
		Arn:                   h.arn(r.Name),
		CloneUrlHttp:          strings.TrimSuffix(h.baseURL(ctx), "/") + r.ClonePath,
		CreationDate:          awsjson.NewTimestamp(r.CreatedAt),
		DefaultBranch:         r.DefaultBranch,
		LastModifiedDate:      awsjson.NewTimestamp(r.ModifiedAt),
		RepositoryDescription: r.Description,
		RepositoryId:          r.ID,
		RepositoryName:        r.Name,
	}
}

// CreateRepository implements CodeCommit CreateRepository. kmsKeyId and
// tags are accepted and ignored.
func (h *Handler) CreateRepository(ctx context.Context, in *w.CreateRepositoryInput) (*w.CreateRepositoryOutput, error) {
	repo, err := h.store.Create(ctx, in.RepositoryName, in.RepositoryDescription)
	if err != nil {
		return nil, mapError(err, subject{repo: in.RepositoryName})
	}
	return &w.CreateRepositoryOutput{RepositoryMetadata: h.toWire(ctx, repo)}, nil
}

// GetRepository implements CodeCommit GetRepository.
func (h *Handler) GetRepository(ctx context.Context, in *w.GetRepositoryInput) (*w.GetRepositoryOutput, error) {
	repo, err := h.store.Get(in.RepositoryName)
	if err != nil {
		return nil, mapError(err, subject{repo: in.RepositoryName})
	}
	return &w.GetRepositoryOutput{RepositoryMetadata: h.toWire(ctx, repo)}, nil
}

// maxBatchNames is CodeCommit's limit on BatchGetRepositories.
const maxBatchNames = 25

// BatchGetRepositories implements CodeCommit BatchGetRepositories.
func (h *Handler) BatchGetRepositories(ctx context.Context, in *w.BatchGetRepositoriesInput) (*w.BatchGetRepositoriesOutput, error) {
	if len(in.RepositoryNames) == 0 {
		return nil, api.Errorf(w.ErrRepositoryNamesRequiredException, "At least one repository name is required")
	}
	if len(in.RepositoryNames) > maxBatchNames {
		return nil, api.Errorf(w.ErrMaximumRepositoryNamesExceededException, "The maximum number of repository names is %d", maxBatchNames)
	}
	out := &w.BatchGetRepositoriesOutput{Repositories: []w.RepositoryMetadata{}, RepositoriesNotFound: []string{}}
	for _, name := range in.RepositoryNames {
		repo, err := h.store.Get(name)
		switch {
		case errors.Is(err, gitrepo.ErrNotFound):
			out.RepositoriesNotFound = append(out.RepositoriesNotFound, name)
			out.Errors = append(out.Errors, w.BatchGetRepositoriesError{RepositoryName: name,
				ErrorCode: w.BatchGetRepositoriesErrorCodeEnumRepositoryDoesNotExistException, ErrorMessage: name + " does not exist"})
		case err != nil:
			return nil, mapError(err, subject{repo: name})
		default:
			out.Repositories = append(out.Repositories, *h.toWire(ctx, repo))
		}
	}
	return out, nil
}

// ListRepositories implements CodeCommit ListRepositories: sorted by name
// (the default) or last modification, ascending by default, in pages of
// the handler's page size.
func (h *Handler) ListRepositories(_ context.Context, in *w.ListRepositoriesInput) (*w.ListRepositoriesOutput, error) {
	repos, err := h.store.List()
	if err != nil {
		return nil, mapError(err, subject{})
	}
	sortBy, order := in.SortBy, in.Order
	if sortBy == "" {
		sortBy = w.SortByEnumRepositoryName
	}
	if order == "" {
		order = w.OrderEnumAscending
	}
	key := func(r gitrepo.Repository) string { return r.Name }
	if sortBy == w.SortByEnumLastModifiedDate {
		key = func(r gitrepo.Repository) string { return sortableTime(r.ModifiedAt) + "/" + r.Name }
	}
	items, next, err := page(repos, key, order == w.OrderEnumDescending, string(sortBy)+"/"+string(order), in.NextToken, h.pageSize)
	if err != nil {
		return nil, err
	}
	out := &w.ListRepositoriesOutput{NextToken: next, Repositories: []w.RepositoryNameIdPair{}}
	for _, r := range items {
		out.Repositories = append(out.Repositories, w.RepositoryNameIdPair{RepositoryId: r.ID, RepositoryName: r.Name})
	}
	return out, nil
}

// DeleteRepository implements CodeCommit DeleteRepository. As in AWS,
// deleting a repository that does not exist succeeds without an id.
func (h *Handler) DeleteRepository(_ context.Context, in *w.DeleteRepositoryInput) (*w.DeleteRepositoryOutput, error) {
	repo, err := h.store.Delete(in.RepositoryName)
	if errors.Is(err, gitrepo.ErrNotFound) {
		return &w.DeleteRepositoryOutput{}, nil
	}
	if err != nil {
		return nil, mapError(err, subject{repo: in.RepositoryName})
	}
	return &w.DeleteRepositoryOutput{RepositoryId: repo.ID}, nil
}

// UpdateRepositoryDescription implements CodeCommit
// UpdateRepositoryDescription; an absent description clears it.
func (h *Handler) UpdateRepositoryDescription(_ context.Context, in *w.UpdateRepositoryDescriptionInput) (*struct{}, error) {
	if _, err := h.store.SetDescription(in.RepositoryName, in.RepositoryDescription); err != nil {
		return nil, mapError(err, subject{repo: in.RepositoryName})
	}
	return nil, nil
}
