package registry

import (
	"context"
	"errors"
	"fmt"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
)

// RepositorySpec is what CreateRepository takes.
type RepositorySpec struct {
	Name             string
	TagMutability    string
	ExclusionFilters []string
	ScanOnPush       bool
	EncryptionType   string
	KMSKey           string
	Tags             []KV
}

// CreateRepository creates an empty repository.
func (r *Registry) CreateRepository(spec RepositorySpec) (Repository, error) {
	if err := ValidateName(spec.Name); err != nil {
		return Repository{}, err
	}
	if err := validateMutability(spec.TagMutability, spec.ExclusionFilters); err != nil {
		return Repository{}, err
	}
	if spec.TagMutability == "" {
		spec.TagMutability = Mutable
	}
	if spec.EncryptionType == "" {
		spec.EncryptionType = "AES256"
	}
	repo := Repository{
		Name: spec.Name, CreatedAt: r.cfg.Now().UTC(), TagMutability: spec.TagMutability,
		ExclusionFilters: spec.ExclusionFilters, ScanOnPush: spec.ScanOnPush,
		EncryptionType: spec.EncryptionType, KMSKey: spec.KMSKey, Tags: spec.Tags,
	}
	if err := r.repos.create(repo); err != nil {
		return Repository{}, err
	}
	r.log.Info("repository created", "repository", spec.Name)
	return repo, nil
}

func validateMutability(m string, filters []string) error {
	switch m {
	case "", Mutable, Immutable:
		if len(filters) > 0 {
			return invalid("imageTagMutabilityExclusionFilters can only be used with %s or %s", MutableWithExclusion, ImmutableWithExclusion)
		}
	case MutableWithExclusion, ImmutableWithExclusion:
		if len(filters) == 0 {
			return invalid("imageTagMutabilityExclusionFilters must be specified when imageTagMutability is %s", m)
		}
	default:
		return invalid("Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'")
	}
	for _, f := range filters {
		if f == "" || len(f) > 128 {
			return invalid("an exclusion filter must be 1 to 128 characters long")
		}
	}
	return nil
}

// Repository returns one repository.
func (r *Registry) Repository(name string) (Repository, error) {
	repo, ok := r.repos.get(name)
	if !ok {
		return Repository{}, ErrRepositoryNotFound
	}
	return repo, nil
}

// Repositories returns every repository, sorted by name.
func (r *Registry) Repositories() []Repository { return r.repos.list() }

// UpdateRepository changes a repository's mutable settings.
func (r *Registry) UpdateRepository(name string, fn func(*Repository) error) (Repository, error) {
	return r.repos.update(name, func(repo *Repository) error {
		if err := fn(repo); err != nil {
			return err
		}
		return validateMutability(repo.TagMutability, repo.ExclusionFilters)
	})
}

// DeleteRepository deletes a repository; with images in it only when
// force is set. Its blobs go with the next garbage collection.
func (r *Registry) DeleteRepository(ctx context.Context, name string, force bool) (Repository, int, error) {
	unlock := r.locks.Lock(name)
	defer unlock()
	repo, ok := r.repos.get(name)
	if !ok {
		return Repository{}, 0, ErrRepositoryNotFound
	}
	images, err := r.images(ctx, name)
	if err != nil {
		return Repository{}, 0, err
	}
	if len(images) > 0 && !force {
		return Repository{}, len(images), ErrRepositoryNotEmpty
	}
	if err := r.repos.remove(name); err != nil {
		return Repository{}, 0, err
	}
	if err := r.driver.Delete(ctx, repoStoragePath(name)); err != nil {
		var nf storagedriver.PathNotFoundError
		if !errors.As(err, &nf) {
			return Repository{}, 0, fmt.Errorf("registry: delete repository content: %w", err)
		}
	}
	if err := r.aliases.removeRepo(name); err != nil {
		return Repository{}, 0, err
	}
	r.refs.forget(name)
	r.previews.Delete(name)
	r.log.Info("repository deleted", "repository", name, "images", len(images))
	return repo, len(images), nil
}

// ensureRepository returns the repository, creating it when push is true
// and auto-creation is on.
func (r *Registry) ensureRepository(name string, push bool) (Repository, error) {
	if repo, ok := r.repos.get(name); ok {
		return repo, nil
	}
	if !push || !r.cfg.AutoCreate {
		return Repository{}, ErrRepositoryNotFound
	}
	repo, err := r.CreateRepository(RepositorySpec{Name: name})
	if errors.Is(err, ErrRepositoryExists) {
		repo, _ = r.repos.get(name)
		return repo, nil
	}
	return repo, err
}
