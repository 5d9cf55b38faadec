package registry

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"time"

	"github.com/distribution/distribution/v3"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

var specsVersioned = specs.Versioned{SchemaVersion: 2}

// Image is one manifest of a repository as ECR describes it.
type Image struct {
	Digest            digest.Digest
	Tags              []string // sorted
	MediaType         string   // the manifest's media type
	ArtifactMediaType string   // the config's media type (image manifests)
	Size              int64    // sum of the layer sizes (manifest size for indexes)
	PushedAt          time.Time
	Manifest          []byte
}

// ImageRef names an image by digest, tag or both (ECR's ImageIdentifier).
type ImageRef struct {
	Digest string
	Tag    string
}

func isPathNotFound(err error) bool {
	var nf storagedriver.PathNotFoundError
	return errors.As(err, &nf)
}

func (r *Registry) repository(ctx context.Context, name string) (distribution.Repository, error) {
	named, err := reference.WithName(name)
	if err != nil {
		return nil, invalid("invalid repository name %q", name)
	}
	return r.ns.Repository(ctx, named)
}

// Images lists the images of a repository, newest push first.
func (r *Registry) Images(ctx context.Context, name string) ([]Image, error) {
	if _, ok := r.repos.get(name); !ok {
		return nil, ErrRepositoryNotFound
	}
	return r.images(ctx, name)
}

func (r *Registry) images(ctx context.Context, name string) ([]Image, error) {
	rp, err := r.repository(ctx, name)
	if err != nil {
		return nil, err
	}
	tagsOf := map[digest.Digest][]string{}
	all, err := rp.Tags(ctx).All(ctx)
	if err != nil && !isNotFound(err) {
		var unk distribution.ErrRepositoryUnknown
		if !errors.As(err, &unk) {
			return nil, fmt.Errorf("registry: list tags of %s: %w", name, err)
		}
	}
	for _, t := range all {
		desc, err := rp.Tags(ctx).Get(ctx, t)
		if err != nil {
			continue // untagged meanwhile
		}
		tagsOf[desc.Digest] = append(tagsOf[desc.Digest], t)
	}
	var out []Image
	err = r.eachManifest(ctx, name, func(dgst digest.Digest, mediaType string, body []byte) error {
		img := Image{Digest: dgst, Tags: tagsOf[dgst], MediaType: mediaType, Manifest: body}
		sort.Strings(img.Tags)
		if head, err := parseManifestHead(body); err == nil {
			if head.MediaType != "" && img.MediaType == "" {
				img.MediaType = head.MediaType
			}
			if head.Config != nil {
				img.ArtifactMediaType = head.Config.MediaType
			}
			for _, l := range head.Layers {
				img.Size += l.Size
			}
			if len(head.Layers) == 0 {
				img.Size = int64(len(body))
			}
		}
		st, err := r.driver.Stat(ctx, path.Join(repoStoragePath(name), "_manifests/revisions", string(dgst.Algorithm()), dgst.Encoded(), "link"))
		if err == nil {
			img.PushedAt = st.ModTime().UTC()
		}
		out = append(out, img)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registry: list images of %s: %w", name, err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].PushedAt.Equal(out[j].PushedAt) {
			return out[i].PushedAt.After(out[j].PushedAt)
		}
		return out[i].Digest < out[j].Digest
	})
	return out, nil
}

// FindImage resolves an ImageRef among images. A ref with both digest and
// tag must agree.
func FindImage(images []Image, ref ImageRef) (Image, bool) {
	for _, img := range images {
		if ref.Digest != "" && img.Digest.String() != ref.Digest {
			continue
		}
		if ref.Tag != "" && !contains(img.Tags, ref.Tag) {
			continue
		}
		if ref.Digest == "" && ref.Tag == "" {
			continue
		}
		return img, true
	}
	return Image{}, false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// PutImage stores a manifest (whose layers must already be in the
// repository) and tags it when tag is not empty; ECR's PutImage.
// It returns the image and whether anything changed.
func (r *Registry) PutImage(ctx context.Context, name string, body []byte, mediaType, tag string) (Image, error) {
	repo, ok := r.repos.get(name)
	if !ok {
		return Image{}, ErrRepositoryNotFound
	}
	head, err := parseManifestHead(body)
	if err != nil {
		return Image{}, invalid("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'")
	}
	if mediaType == "" {
		mediaType = head.MediaType
	}
	if mediaType == "" {
		mediaType = v1.MediaTypeImageManifest
	}
	m, desc, err := distribution.UnmarshalManifest(mediaType, body)
	if err != nil {
		return Image{}, invalid("Invalid parameter at 'imageManifest': %v", err)
	}
	unlock := r.locks.Lock(name)
	defer unlock()
	r.gc.RLock()
	defer r.gc.RUnlock()
	rp, err := r.repository(ctx, name)
	if err != nil {
		return Image{}, err
	}
	if tag != "" {
		cur, err := rp.Tags(ctx).Get(ctx, tag)
		if err == nil && cur.Digest == desc.Digest {
			return Image{}, ErrImageAlreadyExists
		}
		if err == nil && repo.TagIsImmutable(tag) {
			return Image{}, ErrTagImmutable
		}
	}
	ms, err := rp.Manifests(ctx)
	if err != nil {
		return Image{}, err
	}
	var opts []distribution.ManifestServiceOption
	if tag != "" {
		opts = append(opts, distribution.WithTag(tag))
	}
	if _, err := ms.Put(ctx, m, opts...); err != nil {
		var verr distribution.ErrManifestVerification
		if errors.As(err, &verr) {
			return Image{}, fmt.Errorf("%w: %v", ErrLayersNotFound, err)
		}
		return Image{}, fmt.Errorf("registry: put manifest: %w", err)
	}
	if tag != "" {
		if err := rp.Tags(ctx).Tag(ctx, tag, desc); err != nil {
			return Image{}, fmt.Errorf("registry: tag manifest: %w", err)
		}
	}
	if head.Subject != nil {
		r.refs.add(name, head.Subject.Digest, referrerDescriptor(head, mediaType, desc.Digest, int64(len(body))))
	}
	images, err := r.images(ctx, name)
	if err != nil {
		return Image{}, err
	}
	img, _ := FindImage(images, ImageRef{Digest: desc.Digest.String()})
	return img, nil
}

// More sentinels for PutImage.
var (
	ErrImageAlreadyExists = errors.New("image already exists")
	ErrLayersNotFound     = errors.New("layers not found")
)

// DeleteImage removes an image: by digest the manifest and every tag on
// it; by tag the tag, and the manifest too when it was its last tag (as
// ECR does). It returns the digest and tags removed.
func (r *Registry) DeleteImage(ctx context.Context, name string, ref ImageRef) (Image, error) {
	if _, ok := r.repos.get(name); !ok {
		return Image{}, ErrRepositoryNotFound
	}
	unlock := r.locks.Lock(name)
	defer unlock()
	return r.deleteImageLocked(ctx, name, ref)
}

func (r *Registry) deleteImageLocked(ctx context.Context, name string, ref ImageRef) (Image, error) {
	images, err := r.images(ctx, name)
	if err != nil {
		return Image{}, err
	}
	img, ok := FindImage(images, ref)
	if !ok {
		return Image{}, ErrImageNotFound
	}
	rp, err := r.repository(ctx, name)
	if err != nil {
		return Image{}, err
	}
	if ref.Digest == "" && len(img.Tags) > 1 {
		if err := rp.Tags(ctx).Untag(ctx, ref.Tag); err != nil {
			return Image{}, fmt.Errorf("registry: untag %s: %w", ref.Tag, err)
		}
		return Image{Digest: img.Digest, Tags: []string{ref.Tag}}, nil
	}
	for _, t := range img.Tags {
		if err := rp.Tags(ctx).Untag(ctx, t); err != nil && !isNotFound(err) {
			var unk distribution.ErrTagUnknown
			if !errors.As(err, &unk) {
				return Image{}, fmt.Errorf("registry: untag %s: %w", t, err)
			}
		}
	}
	ms, err := rp.Manifests(ctx)
	if err != nil {
		return Image{}, err
	}
	if err := ms.Delete(ctx, img.Digest); err != nil && !isNotFound(err) {
		return Image{}, fmt.Errorf("registry: delete manifest %s: %w", img.Digest, err)
	}
	r.afterManifestDelete(name, img.Digest)
	return img, nil
}
