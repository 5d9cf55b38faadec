package registry

import (
	"context"

	"github.com/distribution/distribution/v3"
	repositorymiddleware "github.com/distribution/distribution/v3/registry/middleware/repository"
	"github.com/distribution/distribution/v3/registry/storage"
)

// sparseMiddleware is the name of the library repository middleware that
// accepts manifests whose blobs or child manifests were never pushed
// (Config.SparseManifests).
const sparseMiddleware = "wharf-sparse-manifests"

func init() {
	// The library keeps middlewares in a process-wide table.
	_ = repositorymiddleware.Register(sparseMiddleware, func(_ context.Context, repo distribution.Repository, _ map[string]any) (distribution.Repository, error) {
		return sparseRepository{repo}, nil
	})
}

type sparseRepository struct{ distribution.Repository }

func (r sparseRepository) Manifests(ctx context.Context, opts ...distribution.ManifestServiceOption) (distribution.ManifestService, error) {
	return r.Repository.Manifests(ctx, append(opts, storage.SkipLayerVerification())...)
}
