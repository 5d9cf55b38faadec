package smapi

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/secretsmanager/smwire"
	"github.com/wharfhq/wharf/internal/secrets"
)

func value(str string, bin []byte) *secrets.SecretValue {
	switch {
	case bin != nil:
		return &secrets.SecretValue{String: str, Binary: bin} // both set: the store refuses
	case str != "":
		return &secrets.SecretValue{String: str}
	}
	return nil
}

// CreateSecret creates a secret, with a first version when a value is given.
func (h *Handler) CreateSecret(ctx context.Context, in *smwire.CreateSecretRequest) (*smwire.CreateSecretResponse, error) {
	if len(in.AddReplicaRegions) > 0 {
		return nil, invalidParameter("wharf does not replicate secrets: AddReplicaRegions is not supported.")
	}
	tags := map[string]string{}
	for _, t := range in.Tags {
		tags[t.Key] = t.Value
	}
	sec, version, err := h.store.CreateSecret(ctx, secrets.CreateSecretInput{
		Name: in.Name, Description: in.Description, KmsKeyID: in.KmsKeyId, Tags: tags,
		VersionID: in.ClientRequestToken, Value: value(in.SecretString, in.SecretBinary),
	})
	if errors.Is(err, secrets.ErrScheduledForDeletion) {
		return nil, api.Errorf(smwire.ErrInvalidRequestException,
			"You can't create this secret because a secret with this name is already scheduled for deletion.")
	}
	if err != nil {
		return nil, mapError(err, in.Name)
	}
	return &smwire.CreateSecretResponse{ARN: sec.ARN, Name: sec.Name, VersionId: version}, nil
}

// GetSecretValue returns a version's value, AWSCURRENT by default.
func (h *Handler) GetSecretValue(ctx context.Context, in *smwire.GetSecretValueRequest) (*smwire.GetSecretValueResponse, error) {
	v, err := h.store.GetSecretValue(ctx, in.SecretId, in.VersionId, in.VersionStage)
	if errors.Is(err, secrets.ErrVersionNotFound) {
		what := "staging label: " + in.VersionStage
		if in.VersionId != "" {
			what = "VersionId: " + in.VersionId
		} else if in.VersionStage == "" {
			what = "staging label: " + secrets.StageCurrent
		}
		return nil, api.Errorf(smwire.ErrResourceNotFoundException, "Secrets Manager can't find the specified secret value for %s", what)
	}
	if err != nil {
		return nil, mapError(err, in.SecretId)
	}
	return &smwire.GetSecretValueResponse{
		ARN: v.ARN, Name: v.Name, CreatedDate: awsjson.NewTimestamp(v.Created),
		SecretString: v.Value.String, SecretBinary: v.Value.Binary,
		VersionId: v.VersionID, VersionStages: v.Stages,
	}, nil
}

// PutSecretValue adds a version, AWSCURRENT unless other labels are given.
func (h *Handler) PutSecretValue(ctx context.Context, in *smwire.PutSecretValueRequest) (*smwire.PutSecretValueResponse, error) {
	v := value(in.SecretString, in.SecretBinary)
	if v == nil {
		return nil, invalidParameter("You must provide either SecretString or SecretBinary.")
	}
	sec, version, stages, err := h.store.PutSecretValue(ctx, in.SecretId, in.ClientRequestToken, *v, in.VersionStages)
	if err != nil {
		return nil, mapError(err, in.SecretId)
	}
	return &smwire.PutSecretValueResponse{ARN: sec.ARN, Name: sec.Name, VersionId: version, VersionStages: stages}, nil
}

// DescribeSecret returns a secret's metadata.
func (h *Handler) DescribeSecret(ctx context.Context, in *smwire.DescribeSecretRequest) (*smwire.DescribeSecretResponse, error) {
	sec, err := h.store.DescribeSecret(ctx, in.SecretId)
	if err != nil {
		return nil, mapError(err, in.SecretId)
	}
	e := toListEntry(sec)
	return &smwire.DescribeSecretResponse{
		ARN: e.ARN, Name: e.Name, Description: e.Description, KmsKeyId: e.KmsKeyId,
		CreatedDate: e.CreatedDate, LastChangedDate: e.LastChangedDate, DeletedDate: e.DeletedDate,
		Tags: e.Tags, VersionIdsToStages: e.SecretVersionsToStages, RotationEnabled: e.RotationEnabled,
	}, nil
}

func toListEntry(sec *secrets.Secret) smwire.SecretListEntry {
	off := false
	e := smwire.SecretListEntry{
		ARN: sec.ARN, Name: sec.Name, Description: sec.Description, KmsKeyId: sec.KmsKeyID,
		CreatedDate: awsjson.NewTimestamp(sec.Created), LastChangedDate: awsjson.NewTimestamp(sec.Changed),
		SecretVersionsToStages: sec.Stages, RotationEnabled: &off,
	}
	if sec.Deleted != nil {
		e.DeletedDate = awsjson.NewTimestamp(*sec.Deleted)
	}
	for _, k := range slices.Sorted(maps.Keys(sec.Tags)) {
		e.Tags = append(e.Tags, smwire.Tag{Key: k, Value: sec.Tags[k]})
	}
	return e
}

const maxListResults = 100

// ListSecrets lists secrets by name, filtered, a page at a time.
func (h *Handler) ListSecrets(ctx context.Context, in *smwire.ListSecretsRequest) (*smwire.ListSecretsResponse, error) {
	for _, f := range in.Filters {
		switch f.Key {
		case "name", "description", "tag-key", "tag-value", "all":
		default:
			return nil, invalidParameter("The filter key %s is not supported by wharf.", f.Key)
		}
	}
	desc := in.SortOrder == smwire.SortOrderTypeDesc
	var all []*secrets.Secret
	for _, sec := range h.store.ListSecrets(ctx, in.IncludePlannedDeletion != nil && *in.IncludePlannedDeletion) {
		if matchesFilters(sec, in.Filters) {
			all = append(all, sec)
		}
	}
	if desc {
		slices.Reverse(all)
	}
	start := 0
	if in.NextToken != "" {
		after, err := decodeToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		for start < len(all) && (!desc && all[start].Name <= after || desc && all[start].Name >= after) {
			start++
		}
	}
	size := maxListResults
	if in.MaxResults != nil && *in.MaxResults > 0 {
		size = int(*in.MaxResults)
	}
	end := min(start+size, len(all))
	out := &smwire.ListSecretsResponse{SecretList: []smwire.SecretListEntry{}}
	for _, sec := range all[start:end] {
		out.SecretList = append(out.SecretList, toListEntry(sec))
	}
	if end < len(all) {
		out.NextToken = encodeToken(all[end-1].Name)
	}
	return out, nil
}

// matchesFilters applies ListSecrets filters: every filter must match;
// within one, any value; a value matches as a prefix, "!" negates it.
func matchesFilters(sec *secrets.Secret, filters []smwire.Filter) bool {
	for _, f := range filters {
		var fields []string
		switch f.Key {
		case "name":
			fields = []string{sec.Name}
		case "description":
			fields = []string{sec.Description}
		case "tag-key":
			fields = slices.Collect(maps.Keys(sec.Tags))
		case "tag-value":
			fields = slices.Collect(maps.Values(sec.Tags))
		case "all":
			fields = append([]string{sec.Name, sec.Description}, slices.Collect(maps.Keys(sec.Tags))...)
			fields = append(fields, slices.Collect(maps.Values(sec.Tags))...)
		}
		ok := false
		for _, v := range f.Values {
			neg := strings.HasPrefix(v, "!")
			v = strings.TrimPrefix(v, "!")
			hit := slices.ContainsFunc(fields, func(s string) bool { return strings.HasPrefix(s, v) })
			if hit != neg {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

const tokenPrefix = "sm-list:"

func encodeToken(last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + last))
}

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), tokenPrefix) {
		return "", api.Errorf(smwire.ErrInvalidNextTokenException, "The specified NextToken is not valid.")
	}
	return strings.TrimPrefix(string(b), tokenPrefix), nil
}

// DeleteSecret deletes a secret at once or schedules its deletion.
func (h *Handler) DeleteSecret(ctx context.Context, in *smwire.DeleteSecretRequest) (*smwire.DeleteSecretResponse, error) {
	window := 0
	if in.RecoveryWindowInDays != nil {
		window = int(*in.RecoveryWindowInDays)
		if window == 0 {
			return nil, invalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	sec, err := h.store.DeleteSecret(ctx, in.SecretId, in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery, window)
	if err != nil {
		return nil, mapError(err, in.SecretId)
	}
	return &smwire.DeleteSecretResponse{ARN: sec.ARN, Name: sec.Name, DeletionDate: awsjson.NewTimestamp(*sec.DeletionDate)}, nil
}

// RestoreSecret cancels a scheduled deletion.
func (h *Handler) RestoreSecret(ctx context.Context, in *smwire.RestoreSecretRequest) (*smwire.RestoreSecretResponse, error) {
	sec, err := h.store.RestoreSecret(ctx, in.SecretId)
	if err != nil {
		return nil, mapError(err, in.SecretId)
	}
	return &smwire.RestoreSecretResponse{ARN: sec.ARN, Name: sec.Name}, nil
}
