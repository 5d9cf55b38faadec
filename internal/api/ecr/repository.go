package ecr

import (
	"context"
	"sort"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/ecr/ecrwire"
	"github.com/wharfhq/wharf/internal/registry"
)

func (h *Handler) arn(name string) string {
	return "arn:aws:ecr:" + h.region + ":" + h.account + ":repository/" + name
}

func (h *Handler) toWire(r registry.Repository) *w.Repository {
	out := &w.Repository{
		CreatedAt:                  awsjson.NewTimestamp(r.CreatedAt),
		EncryptionConfiguration:    &w.EncryptionConfiguration{EncryptionType: w.EncryptionType(r.EncryptionType), KmsKey: r.KMSKey},
		ImageScanningConfiguration: &w.ImageScanningConfiguration{ScanOnPush: r.ScanOnPush},
		ImageTagMutability:         w.ImageTagMutability(r.TagMutability),
		RegistryId:                 h.account,
		RepositoryArn:              h.arn(r.Name),
		RepositoryName:             r.Name,
		RepositoryUri:              h.reg.Address() + "/" + r.Name,
	}
	for _, f := range r.ExclusionFilters {
		out.ImageTagMutabilityExclusionFilters = append(out.ImageTagMutabilityExclusionFilters,
			w.ImageTagMutabilityExclusionFilter{FilterType: w.ImageTagMutabilityExclusionFilterTypeWildcard, Filter: f})
	}
	return out
}

func exclusionFilters(in []w.ImageTagMutabilityExclusionFilter) []string {
	var out []string
	for _, f := range in {
		out = append(out, f.Filter)
	}
	return out
}

func tagsFromWire(in []w.Tag) ([]registry.KV, error) {
	var out []registry.KV
	seen := map[string]bool{}
	for _, t := range in {
		if t.Key == "" {
			return nil, api.Errorf(w.ErrInvalidTagParameterException, "Tag keys must not be empty")
		}
		if seen[t.Key] {
			return nil, api.Errorf(w.ErrInvalidTagParameterException, "Duplicate tag key %s", t.Key)
		}
		seen[t.Key] = true
		out = append(out, registry.KV{Key: t.Key, Value: t.Value})
	}
	if len(out) > 50 {
		return nil, api.Errorf(w.ErrTooManyTagsException, "A repository can have at most 50 tags")
	}
	return out, nil
}

// CreateRepository implements ECR CreateRepository.
func (h *Handler) CreateRepository(_ context.Context, in *w.CreateRepositoryRequest) (*w.CreateRepositoryResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	if in.RepositoryName == "" {
		return nil, invalidParameter("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be null'")
	}
	tags, err := tagsFromWire(in.Tags)
	if err != nil {
		return nil, err
	}
	spec := registry.RepositorySpec{
		Name: in.RepositoryName, TagMutability: string(in.ImageTagMutability),
		ExclusionFilters: exclusionFilters(in.ImageTagMutabilityExclusionFilters), Tags: tags,
	}
	if c := in.ImageScanningConfiguration; c != nil {
		spec.ScanOnPush = c.ScanOnPush
	}
	if c := in.EncryptionConfiguration; c != nil {
		spec.EncryptionType, spec.KMSKey = string(c.EncryptionType), c.KmsKey
	}
	repo, err := h.reg.CreateRepository(spec)
	if err != nil {
		return nil, h.mapError(err, in.RepositoryName)
	}
	return &w.CreateRepositoryResponse{Repository: h.toWire(repo)}, nil
}

// DescribeRepositories implements ECR DescribeRepositories.
func (h *Handler) DescribeRepositories(_ context.Context, in *w.DescribeRepositoriesRequest) (*w.DescribeRepositoriesResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	var repos []registry.Repository
	if len(in.RepositoryNames) > 0 {
		if in.MaxResults != 0 || in.NextToken != "" {
			return nil, invalidParameter("maxResults and nextToken cannot be used with repositoryNames")
		}
		for _, n := range in.RepositoryNames {
			r, err := h.reg.Repository(n)
			if err != nil {
				return nil, h.mapError(err, n)
			}
			repos = append(repos, r)
		}
	} else {
		repos = h.reg.Repositories()
	}
	items, next, err := page(repos, in.MaxResults, in.NextToken, func(r registry.Repository) string { return r.Name })
	if err != nil {
		return nil, err
	}
	out := &w.DescribeRepositoriesResponse{NextToken: next, Repositories: []w.Repository{}}
	for _, r := range items {
		out.Repositories = append(out.Repositories, *h.toWire(r))
	}
	return out, nil
}

// DeleteRepository implements ECR DeleteRepository.
func (h *Handler) DeleteRepository(ctx context.Context, in *w.DeleteRepositoryRequest) (*w.DeleteRepositoryResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	repo, _, err := h.reg.DeleteRepository(ctx, in.RepositoryName, in.Force)
	if err != nil {
		return nil, h.mapError(err, in.RepositoryName)
	}
	return &w.DeleteRepositoryResponse{Repository: h.toWire(repo)}, nil
}

// PutImageTagMutability implements ECR PutImageTagMutability.
func (h *Handler) PutImageTagMutability(_ context.Context, in *w.PutImageTagMutabilityRequest) (*w.PutImageTagMutabilityResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	if in.ImageTagMutability == "" {
		return nil, invalidParameter("Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must not be null'")
	}
	repo, err := h.reg.UpdateRepository(in.RepositoryName, func(r *registry.Repository) error {
		r.TagMutability = string(in.ImageTagMutability)
		r.ExclusionFilters = exclusionFilters(in.ImageTagMutabilityExclusionFilters)
		return nil
	})
	if err != nil {
		return nil, h.mapError(err, in.RepositoryName)
	}
	wr := h.toWire(repo)
	return &w.PutImageTagMutabilityResponse{
		ImageTagMutability: wr.ImageTagMutability, ImageTagMutabilityExclusionFilters: wr.ImageTagMutabilityExclusionFilters,
		RegistryId: h.account, RepositoryName: repo.Name,
	}, nil
}

// PutImageScanningConfiguration implements ECR PutImageScanningConfiguration
// (stored and reported; wharf does not scan).
func (h *Handler) PutImageScanningConfiguration(_ context.Context, in *w.PutImageScanningConfigurationRequest) (*w.PutImageScanningConfigurationResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	if in.ImageScanningConfiguration == nil {
		return nil, invalidParameter("Invalid parameter at 'imageScanningConfiguration' failed to satisfy constraint: 'Member must not be null'")
	}
	repo, err := h.reg.UpdateRepository(in.RepositoryName, func(r *registry.Repository) error {
		r.ScanOnPush = in.ImageScanningConfiguration.ScanOnPush
		return nil
	})
	if err != nil {
		return nil, h.mapError(err, in.RepositoryName)
	}
	return &w.PutImageScanningConfigurationResponse{
		ImageScanningConfiguration: &w.ImageScanningConfiguration{ScanOnPush: repo.ScanOnPush},
		RegistryId:                 h.account, RepositoryName: repo.Name,
	}, nil
}

// repoFromARN returns the repository an ECR ARN names.
func (h *Handler) repoFromARN(arn string) (string, error) {
	prefix := "arn:aws:ecr:" + h.region + ":" + h.account + ":repository/"
	if !strings.HasPrefix(arn, prefix) || len(arn) == len(prefix) {
		return "", invalidParameter("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN: %s'", arn)
	}
	return strings.TrimPrefix(arn, prefix), nil
}

// TagResource implements ECR TagResource.
func (h *Handler) TagResource(_ context.Context, in *w.TagResourceRequest) (*struct{}, error) {
	name, err := h.repoFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	add, err := tagsFromWire(in.Tags)
	if err != nil {
		return nil, err
	}
	_, err = h.reg.UpdateRepository(name, func(r *registry.Repository) error {
		for _, t := range add {
			replaced := false
			for i := range r.Tags {
				if r.Tags[i].Key == t.Key {
					r.Tags[i].Value, replaced = t.Value, true
				}
			}
			if !replaced {
				r.Tags = append(r.Tags, t)
			}
		}
		if len(r.Tags) > 50 {
			return api.Errorf(w.ErrTooManyTagsException, "A repository can have at most 50 tags")
		}
		return nil
	})
	return &struct{}{}, h.mapError(err, name)
}

// UntagResource implements ECR UntagResource.
func (h *Handler) UntagResource(_ context.Context, in *w.UntagResourceRequest) (*struct{}, error) {
	name, err := h.repoFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	_, err = h.reg.UpdateRepository(name, func(r *registry.Repository) error {
		kept := r.Tags[:0]
		for _, t := range r.Tags {
			drop := false
			for _, k := range in.TagKeys {
				drop = drop || k == t.Key
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		r.Tags = kept
		return nil
	})
	return &struct{}{}, h.mapError(err, name)
}

// ListTagsForResource implements ECR ListTagsForResource.
func (h *Handler) ListTagsForResource(_ context.Context, in *w.ListTagsForResourceRequest) (*w.ListTagsForResourceResponse, error) {
	name, err := h.repoFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	repo, err := h.reg.Repository(name)
	if err != nil {
		return nil, h.mapError(err, name)
	}
	out := &w.ListTagsForResourceResponse{Tags: []w.Tag{}}
	for _, t := range repo.Tags {
		out.Tags = append(out.Tags, w.Tag{Key: t.Key, Value: t.Value})
	}
	sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Key < out.Tags[j].Key })
	return out, nil
}
