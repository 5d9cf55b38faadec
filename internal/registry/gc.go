package registry

import (
	"context"
	"fmt"
	"path"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/storage"
	"github.com/opencontainers/go-digest"
)

// GCResult says what a garbage collection did.
type GCResult struct {
	Blobs   int   // blobs in storage before the sweep
	Marked  int   // blobs some manifest references
	Deleted int   // blobs removed
	Bytes   int64 // bytes freed
}

// CollectGarbage deletes blobs no manifest references, while the registry
// keeps serving.
//
// Safety: the mark and the sweep run under the write side of r.gc, and
// every manifest commit (HTTP PUT, PutImage) holds its read side, so no
// manifest can start referencing a blob between its mark and its sweep.
// Blobs written, read or mounted within GCGrace are spared too: a push
// uploads (or checks) its layers before it puts the manifest naming them.
// Manifests without tags are kept: they are images (ECR deletes them only
// through BatchDeleteImage or a lifecycle policy).
func (r *Registry) CollectGarbage(ctx context.Context) (GCResult, error) {
	r.gc.Lock()
	defer r.gc.Unlock()
	var res GCResult
	cutoff := r.cfg.Now().Add(-r.cfg.GCGrace)
	marked := map[digest.Digest]bool{}
	repos, ok := r.ns.(distribution.RepositoryEnumerator)
	if !ok {
		return res, fmt.Errorf("registry: storage cannot enumerate repositories")
	}
	err := repos.Enumerate(ctx, func(name string) error {
		rp, err := r.repository(ctx, name)
		if err != nil {
			return err
		}
		blobs := rp.Blobs(ctx)
		mark := func(d digest.Digest) {
			marked[d] = true
			if desc, err := blobs.Stat(ctx, d); err == nil {
				marked[desc.Digest] = true // the canonical blob behind a sha512 link
			}
		}
		return r.eachManifest(ctx, name, func(dgst digest.Digest, _ string, body []byte) error {
			mark(dgst)
			head, err := parseManifestHead(body)
			if err != nil {
				return nil
			}
			if head.Config != nil {
				mark(head.Config.Digest)
			}
			for _, l := range head.Layers {
				mark(l.Digest)
			}
			for _, m := range head.Manifests {
				mark(m.Digest)
			}
			return nil
		})
	})
	if err != nil && !isPathNotFound(err) {
		return res, fmt.Errorf("registry: gc mark: %w", err)
	}
	res.Marked = len(marked)
	var sweep []digest.Digest
	err = r.ns.Blobs().Enumerate(ctx, func(d digest.Digest) error {
		res.Blobs++
		if marked[d] || r.access.recent(d, cutoff) {
			return nil
		}
		st, err := r.driver.Stat(ctx, blobDataPath(d))
		if err != nil || st.ModTime().After(cutoff) {
			return nil
		}
		res.Bytes += st.Size()
		sweep = append(sweep, d)
		return nil
	})
	if err != nil && !isPathNotFound(err) {
		return res, fmt.Errorf("registry: gc enumerate blobs: %w", err)
	}
	vacuum := storage.NewVacuum(ctx, r.driver)
	for _, d := range sweep {
		if err := vacuum.RemoveBlob(d.String()); err != nil && !isPathNotFound(err) {
			return res, fmt.Errorf("registry: gc remove %s: %w", d, err)
		}
		res.Deleted++
	}
	r.access.prune(cutoff)
	if res.Deleted > 0 {
		r.log.Info("registry garbage collected", "deleted", res.Deleted, "bytes", res.Bytes, "kept", res.Blobs-res.Deleted)
	}
	return res, nil
}

// blobDataPath is where the library keeps a blob's bytes.
func blobDataPath(d digest.Digest) string {
	enc := d.Encoded()
	return path.Join("/docker/registry/v2/blobs", string(d.Algorithm()), enc[:2], enc, "data")
}
