package ecr

import (
	"context"
	"errors"
	"sort"

	"github.com/opencontainers/go-digest"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/ecr/ecrwire"
	"github.com/wharfhq/wharf/internal/registry"
)

func (h *Handler) images(ctx context.Context, registryID, repo string) ([]registry.Image, error) {
	if err := h.registryID(registryID); err != nil {
		return nil, err
	}
	imgs, err := h.reg.Images(ctx, repo)
	return imgs, h.mapError(err, repo)
}

func tagStatusMatches(status w.TagStatus, img registry.Image) bool {
	switch status {
	case w.TagStatusTagged:
		return len(img.Tags) > 0
	case w.TagStatusUntagged:
		return len(img.Tags) == 0
	}
	return true
}

// ListImages implements ECR ListImages.
func (h *Handler) ListImages(ctx context.Context, in *w.ListImagesRequest) (*w.ListImagesResponse, error) {
	imgs, err := h.images(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var status w.TagStatus
	if in.Filter != nil {
		status = in.Filter.TagStatus
	}
	var ids []w.ImageIdentifier
	for _, img := range imgs {
		if !tagStatusMatches(status, img) {
			continue
		}
		if len(img.Tags) == 0 {
			ids = append(ids, w.ImageIdentifier{ImageDigest: img.Digest.String()})
		}
		for _, t := range img.Tags {
			ids = append(ids, w.ImageIdentifier{ImageDigest: img.Digest.String(), ImageTag: t})
		}
	}
	sortIDs(ids)
	items, next, err := page(ids, in.MaxResults, in.NextToken, idKey)
	if err != nil {
		return nil, err
	}
	return &w.ListImagesResponse{ImageIds: append([]w.ImageIdentifier{}, items...), NextToken: next}, nil
}

func idKey(id w.ImageIdentifier) string { return id.ImageDigest + "\x00" + id.ImageTag }

func sortIDs(ids []w.ImageIdentifier) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && idKey(ids[j]) < idKey(ids[j-1]); j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

func (h *Handler) detail(repo string, img registry.Image) w.ImageDetail {
	return w.ImageDetail{
		ArtifactMediaType:      img.ArtifactMediaType,
		ImageDigest:            img.Digest.String(),
		ImageManifestMediaType: img.MediaType,
		ImagePushedAt:          awsjson.NewTimestamp(img.PushedAt),
		ImageSizeInBytes:       img.Size,
		ImageStatus:            w.ImageStatusActive,
		ImageTags:              img.Tags,
		RegistryId:             h.account,
		RepositoryName:         repo,
	}
}

func (h *Handler) imageNotFound(repo string, id w.ImageIdentifier) error {
	return api.Errorf(w.ErrImageNotFoundException, "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
		nullable(id.ImageDigest), nullable(id.ImageTag), repo, h.account)
}

func nullable(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func ref(id w.ImageIdentifier) registry.ImageRef {
	return registry.ImageRef{Digest: id.ImageDigest, Tag: id.ImageTag}
}

// DescribeImages implements ECR DescribeImages.
func (h *Handler) DescribeImages(ctx context.Context, in *w.DescribeImagesRequest) (*w.DescribeImagesResponse, error) {
	imgs, err := h.images(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var picked []registry.Image
	if len(in.ImageIds) > 0 {
		if in.MaxResults != 0 || in.NextToken != "" {
			return nil, invalidParameter("maxResults and nextToken cannot be used with imageIds")
		}
		seen := map[digest.Digest]bool{}
		for _, id := range in.ImageIds {
			img, ok := registry.FindImage(imgs, ref(id))
			if !ok {
				return nil, h.imageNotFound(in.RepositoryName, id)
			}
			if !seen[img.Digest] {
				seen[img.Digest] = true
				picked = append(picked, img)
			}
		}
	} else {
		var status w.TagStatus
		if in.Filter != nil {
			status = in.Filter.TagStatus
		}
		for _, img := range imgs {
			if tagStatusMatches(status, img) {
				picked = append(picked, img)
			}
		}
		sort.Slice(picked, func(i, j int) bool { return picked[i].Digest < picked[j].Digest })
	}
	items, next, err := page(picked, in.MaxResults, in.NextToken, func(img registry.Image) string { return img.Digest.String() })
	if err != nil && len(in.ImageIds) == 0 {
		return nil, err
	}
	if len(in.ImageIds) > 0 {
		items, next = picked, ""
	}
	out := &w.DescribeImagesResponse{ImageDetails: []w.ImageDetail{}, NextToken: next}
	for _, img := range items {
		out.ImageDetails = append(out.ImageDetails, h.detail(in.RepositoryName, img))
	}
	return out, nil
}

// BatchGetImage implements ECR BatchGetImage.
func (h *Handler) BatchGetImage(ctx context.Context, in *w.BatchGetImageRequest) (*w.BatchGetImageResponse, error) {
	imgs, err := h.images(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	out := &w.BatchGetImageResponse{Images: []w.Image{}, Failures: []w.ImageFailure{}}
	for _, id := range in.ImageIds {
		if id.ImageDigest == "" && id.ImageTag == "" {
			out.Failures = append(out.Failures, w.ImageFailure{ImageId: &id, FailureCode: w.ImageFailureCodeMissingDigestAndTag, FailureReason: "Missing image digest and tag"})
			continue
		}
		img, ok := registry.FindImage(imgs, ref(id))
		if !ok {
			out.Failures = append(out.Failures, w.ImageFailure{ImageId: &id, FailureCode: w.ImageFailureCodeImageNotFound, FailureReason: "Requested image not found"})
			continue
		}
		got := w.ImageIdentifier{ImageDigest: img.Digest.String(), ImageTag: id.ImageTag}
		out.Images = append(out.Images, w.Image{
			ImageId: &got, ImageManifest: string(img.Manifest), ImageManifestMediaType: img.MediaType,
			RegistryId: h.account, RepositoryName: in.RepositoryName,
		})
	}
	return out, nil
}

// BatchDeleteImage implements ECR BatchDeleteImage.
func (h *Handler) BatchDeleteImage(ctx context.Context, in *w.BatchDeleteImageRequest) (*w.BatchDeleteImageResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	if _, err := h.reg.Repository(in.RepositoryName); err != nil {
		return nil, h.mapError(err, in.RepositoryName)
	}
	out := &w.BatchDeleteImageResponse{ImageIds: []w.ImageIdentifier{}, Failures: []w.ImageFailure{}}
	for _, id := range in.ImageIds {
		if id.ImageDigest == "" && id.ImageTag == "" {
			out.Failures = append(out.Failures, w.ImageFailure{ImageId: &id, FailureCode: w.ImageFailureCodeMissingDigestAndTag, FailureReason: "Missing image digest and tag"})
			continue
		}
		if id.ImageDigest != "" {
			if _, err := digest.Parse(id.ImageDigest); err != nil {
				out.Failures = append(out.Failures, w.ImageFailure{ImageId: &id, FailureCode: w.ImageFailureCodeInvalidImageDigest, FailureReason: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"})
				continue
			}
		}
		img, err := h.reg.DeleteImage(ctx, in.RepositoryName, ref(id))
		if errors.Is(err, registry.ErrImageNotFound) {
			out.Failures = append(out.Failures, w.ImageFailure{ImageId: &id, FailureCode: w.ImageFailureCodeImageNotFound, FailureReason: "Requested image not found"})
			continue
		}
		if err != nil {
			return nil, h.mapError(err, in.RepositoryName)
		}
		if len(img.Tags) == 0 {
			out.ImageIds = append(out.ImageIds, w.ImageIdentifier{ImageDigest: img.Digest.String()})
		}
		for _, t := range img.Tags {
			out.ImageIds = append(out.ImageIds, w.ImageIdentifier{ImageDigest: img.Digest.String(), ImageTag: t})
		}
	}
	return out, nil
}

// PutImage implements ECR PutImage: store a manifest whose layers are in
// the repository, under a tag.
func (h *Handler) PutImage(ctx context.Context, in *w.PutImageRequest) (*w.PutImageResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	if in.ImageManifest == "" {
		return nil, invalidParameter("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must not be null'")
	}
	body := []byte(in.ImageManifest)
	if in.ImageDigest != "" {
		d, err := digest.Parse(in.ImageDigest)
		if err != nil || !d.Algorithm().Available() {
			return nil, invalidParameter("Invalid parameter at 'imageDigest': invalid digest %s", in.ImageDigest)
		}
		if d.Algorithm().FromBytes(body) != d {
			return nil, api.Errorf(w.ErrImageDigestDoesNotMatchException, "Invalid parameter at 'imageDigest': the digest %s does not match the manifest", in.ImageDigest)
		}
	}
	img, err := h.reg.PutImage(ctx, in.RepositoryName, body, in.ImageManifestMediaType, in.ImageTag)
	switch {
	case errors.Is(err, registry.ErrTagImmutable):
		return nil, api.Errorf(w.ErrImageTagAlreadyExistsException, "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the tag is immutable.", in.ImageTag, in.RepositoryName)
	case errors.Is(err, registry.ErrImageAlreadyExists):
		return nil, api.Errorf(w.ErrImageAlreadyExistsException, "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'",
			digest.SHA256.FromBytes(body), in.ImageTag, in.RepositoryName, h.account)
	case err != nil:
		return nil, h.mapError(err, in.RepositoryName)
	}
	id := w.ImageIdentifier{ImageDigest: img.Digest.String(), ImageTag: in.ImageTag}
	return &w.PutImageResponse{Image: &w.Image{
		ImageId: &id, ImageManifest: in.ImageManifest, ImageManifestMediaType: img.MediaType,
		RegistryId: h.account, RepositoryName: in.RepositoryName,
	}}, nil
}

// GetAuthorizationToken implements ECR GetAuthorizationToken.
func (h *Handler) GetAuthorizationToken(_ context.Context, in *w.GetAuthorizationTokenRequest) (*w.GetAuthorizationTokenResponse, error) {
	for _, id := range in.RegistryIds {
		if err := h.registryID(id); err != nil {
			return nil, err
		}
	}
	tok := h.reg.AuthorizationToken()
	return &w.GetAuthorizationTokenResponse{AuthorizationData: []w.AuthorizationData{{
		AuthorizationToken: tok.Token, ExpiresAt: awsjson.NewTimestamp(tok.ExpiresAt), ProxyEndpoint: tok.ProxyEndpoint,
	}}}, nil
}
