package ecr

import (
	"context"
	"sort"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/ecr/ecrwire"
	"github.com/wharfhq/wharf/internal/registry"
)

// PutLifecyclePolicy implements ECR PutLifecyclePolicy.
func (h *Handler) PutLifecyclePolicy(_ context.Context, in *w.PutLifecyclePolicyRequest) (*w.PutLifecyclePolicyResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	if in.LifecyclePolicyText == "" {
		return nil, invalidParameter("Invalid parameter at 'lifecyclePolicyText' failed to satisfy constraint: 'Member must not be null'")
	}
	repo, err := h.reg.PutLifecyclePolicy(in.RepositoryName, in.LifecyclePolicyText)
	if err != nil {
		return nil, h.mapError(err, in.RepositoryName)
	}
	return &w.PutLifecyclePolicyResponse{LifecyclePolicyText: repo.LifecyclePolicy, RegistryId: h.account, RepositoryName: repo.Name}, nil
}

// GetLifecyclePolicy implements ECR GetLifecyclePolicy.
func (h *Handler) GetLifecyclePolicy(_ context.Context, in *w.GetLifecyclePolicyRequest) (*w.GetLifecyclePolicyResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	repo, err := h.reg.Repository(in.RepositoryName)
	if err == nil && repo.LifecyclePolicy == "" {
		err = registry.ErrLifecyclePolicyNotFound
	}
	if err != nil {
		return nil, h.mapError(err, in.RepositoryName)
	}
	return &w.GetLifecyclePolicyResponse{
		LifecyclePolicyText: repo.LifecyclePolicy, RegistryId: h.account, RepositoryName: repo.Name,
		LastEvaluatedAt: awsjson.NewTimestamp(repo.LifecyclePolicyUpdatedAt),
	}, nil
}

// DeleteLifecyclePolicy implements ECR DeleteLifecyclePolicy.
func (h *Handler) DeleteLifecyclePolicy(_ context.Context, in *w.DeleteLifecyclePolicyRequest) (*w.DeleteLifecyclePolicyResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	old, err := h.reg.DeleteLifecyclePolicy(in.RepositoryName)
	if err != nil {
		return nil, h.mapError(err, in.RepositoryName)
	}
	return &w.DeleteLifecyclePolicyResponse{
		LifecyclePolicyText: old.LifecyclePolicy, RegistryId: h.account, RepositoryName: old.Name,
		LastEvaluatedAt: awsjson.NewTimestamp(old.LifecyclePolicyUpdatedAt),
	}, nil
}

// StartLifecyclePolicyPreview implements ECR StartLifecyclePolicyPreview.
// The preview is computed at once, so it is COMPLETE when this returns.
func (h *Handler) StartLifecyclePolicyPreview(ctx context.Context, in *w.StartLifecyclePolicyPreviewRequest) (*w.StartLifecyclePolicyPreviewResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	pv, err := h.reg.StartLifecyclePreview(ctx, in.RepositoryName, in.LifecyclePolicyText)
	if err != nil {
		return nil, h.mapError(err, in.RepositoryName)
	}
	return &w.StartLifecyclePolicyPreviewResponse{
		LifecyclePolicyText: pv.PolicyText, RegistryId: h.account, RepositoryName: in.RepositoryName,
		Status: w.LifecyclePolicyPreviewStatusInProgress,
	}, nil
}

// GetLifecyclePolicyPreview implements ECR GetLifecyclePolicyPreview.
func (h *Handler) GetLifecyclePolicyPreview(_ context.Context, in *w.GetLifecyclePolicyPreviewRequest) (*w.GetLifecyclePolicyPreviewResponse, error) {
	if err := h.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	pv, err := h.reg.LifecyclePreview(in.RepositoryName)
	if err != nil {
		return nil, h.mapError(err, in.RepositoryName)
	}
	var results []w.LifecyclePolicyPreviewResult
	for _, e := range pv.Expiries {
		if in.Filter != nil && !tagStatusMatches(in.Filter.TagStatus, e.Image) {
			continue
		}
		if len(in.ImageIds) > 0 {
			match := false
			for _, id := range in.ImageIds {
				_, ok := registry.FindImage([]registry.Image{e.Image}, ref(id))
				match = match || ok
			}
			if !match {
				continue
			}
		}
		results = append(results, w.LifecyclePolicyPreviewResult{
			Action:              &w.LifecyclePolicyRuleAction{Type: w.ImageActionTypeExpire},
			AppliedRulePriority: int32(e.RulePriority),
			ImageDigest:         e.Image.Digest.String(),
			ImagePushedAt:       awsjson.NewTimestamp(e.Image.PushedAt),
			ImageTags:           e.Image.Tags,
		})
	}
	sort.Slice(results, func(i, j int) bool { return results[i].ImageDigest < results[j].ImageDigest })
	items, next, err := page(results, in.MaxResults, in.NextToken, func(r w.LifecyclePolicyPreviewResult) string { return r.ImageDigest })
	if err != nil {
		return nil, err
	}
	return &w.GetLifecyclePolicyPreviewResponse{
		LifecyclePolicyText: pv.PolicyText, RegistryId: h.account, RepositoryName: in.RepositoryName,
		Status: w.LifecyclePolicyPreviewStatusComplete, NextToken: next,
		PreviewResults: append([]w.LifecyclePolicyPreviewResult{}, items...),
		Summary:        &w.LifecyclePolicyPreviewSummary{ExpiringImageTotalCount: int32(len(results))},
	}, nil
}
