package secrets

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/state"
)

// Staging labels with a meaning of their own.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

const (
	maxSecretVersions     = 100
	defaultRecoveryWindow = 30 // days
)

// SecretValue is a secret's payload: a string or, when Binary is not nil, bytes.
type SecretValue struct {
	String string
	Binary []byte
}

func (v SecretValue) bytes() (b []byte, binary bool) {
	if v.Binary != nil {
		return v.Binary, true
	}
	return []byte(v.String), false
}

// CreateSecretInput is a CreateSecret request.
type CreateSecretInput struct {
	Name        string
	Description string
	KmsKeyID    string
	Tags        map[string]string
	// VersionID of the first version (ClientRequestToken); generated when empty.
	VersionID string
	// Value of the first version; nil creates a secret without a version.
	Value *SecretValue
}

// Secret is a secret's metadata as DescribeSecret returns it.
type Secret struct {
	Name         string
	ARN          string
	Description  string
	KmsKeyID     string
	Tags         map[string]string
	Created      time.Time
	Changed      time.Time
	Deleted      *time.Time // set while scheduled for deletion
	DeletionDate *time.Time
	// Stages maps each retained version id to its staging labels.
	Stages map[string][]string
}

// SecretVersionValue is one version of a secret with its plaintext.
type SecretVersionValue struct {
	Name      string
	ARN       string
	VersionID string
	Stages    []string
	Created   time.Time
	Value     SecretValue
}

// ValidateSecretName checks a secret name as Secrets Manager does.
func ValidateSecretName(name string) error {
	if name == "" || len(name) > 512 {
		return invalid("The secret name must be 1 to 512 characters long.")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+=.@-", r)) {
			return invalid("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
		}
	}
	return nil
}

const suffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (s *Store) newSecretARN(name string) string {
	suffix := make([]byte, 6)
	for i := range suffix {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(suffixChars))))
		suffix[i] = suffixChars[n.Int64()]
	}
	return "arn:aws:secretsmanager:" + s.region + ":" + s.account + ":secret:" + name + "-" + string(suffix)
}

func secretItem(arn, versionID string) string { return "secret:" + arn + ":" + versionID }

// expired reports whether a scheduled deletion has taken effect; such a
// secret is gone, and is purged when its name is reused.
func (s *Store) expired(r *state.SecretRecord) bool {
	return r.DeletionDate != nil && !s.now().Before(*r.DeletionDate)
}

// lookupSecret finds a secret by name, full ARN or ARN without the random suffix.
func (s *Store) lookupSecret(id string) (*state.SecretRecord, error) {
	var found *state.SecretRecord
	if strings.HasPrefix(id, "arn:") {
		for _, r := range s.st.Secrets() {
			if r.ARN == id || strings.HasPrefix(r.ARN, id+"-") && len(r.ARN) == len(id)+7 {
				found = r
				break
			}
		}
	} else if r, ok := s.st.Secret(id); ok {
		found = r
	}
	if found == nil || s.expired(found) {
		return nil, ErrNotFound
	}
	return found, nil
}

func (s *Store) sealVersion(arn, id string, v SecretValue, stages []string, now time.Time) (state.SecretVersion, error) {
	b, binary := v.bytes()
	blob, err := s.seal.seal(secretItem(arn, id), b)
	if err != nil {
		return state.SecretVersion{}, err
	}
	return state.SecretVersion{ID: id, Stages: stages, Created: now, Binary: binary, Ciphertext: blob}, nil
}

func (s *Store) openVersion(arn string, v *state.SecretVersion) (SecretValue, error) {
	pt, err := s.seal.open(secretItem(arn, v.ID), v.Ciphertext)
	if err != nil {
		return SecretValue{}, err
	}
	if v.Binary {
		return SecretValue{Binary: pt}, nil
	}
	return SecretValue{String: string(pt)}, nil
}

func checkValue(v *SecretValue) error {
	if v != nil && v.Binary != nil && v.String != "" {
		return invalid("You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	return nil
}

// CreateSecret creates a secret. Repeating a request with the same
// VersionID and value succeeds without change, as AWS's idempotency does.
func (s *Store) CreateSecret(ctx context.Context, in CreateSecretInput) (*Secret, string, error) {
	if err := ValidateSecretName(in.Name); err != nil {
		return nil, "", err
	}
	if err := checkValue(in.Value); err != nil {
		return nil, "", err
	}
	if old, ok := s.st.Secret(in.Name); ok {
		switch {
		case s.expired(old):
			if err := s.st.DeleteSecret(ctx, old.Name); err != nil && !errors.Is(err, state.ErrNotFound) {
				return nil, "", err
			}
		case old.Deleted != nil:
			return nil, "", ErrScheduledForDeletion
		default:
			if in.Value != nil && in.VersionID != "" && s.sameVersion(old, in.VersionID, *in.Value) {
				return toSecret(old), in.VersionID, nil
			}
			return nil, "", ErrExists
		}
	}
	now := s.now().UTC()
	rec := &state.SecretRecord{
		Name: in.Name, ARN: s.newSecretARN(in.Name), Description: in.Description,
		KmsKeyID: in.KmsKeyID, Tags: in.Tags, Created: now, Changed: now,
	}
	versionID := ""
	if in.Value != nil {
		versionID = in.VersionID
		if versionID == "" {
			versionID = newUUID()
		}
		v, err := s.sealVersion(rec.ARN, versionID, *in.Value, []string{StageCurrent}, now)
		if err != nil {
			return nil, "", err
		}
		rec.Versions = []state.SecretVersion{v}
	}
	if err := s.st.CreateSecret(ctx, rec); err != nil {
		if errors.Is(err, state.ErrExists) {
			return nil, "", ErrExists
		}
		return nil, "", err
	}
	return toSecret(rec), versionID, nil
}

// sameVersion reports whether r has version id holding exactly v.
func (s *Store) sameVersion(r *state.SecretRecord, id string, v SecretValue) bool {
	for i := range r.Versions {
		if r.Versions[i].ID != id {
			continue
		}
		got, err := s.openVersion(r.ARN, &r.Versions[i])
		if err != nil {
			return false
		}
		a, ab := got.bytes()
		b, bb := v.bytes()
		return ab == bb && bytes.Equal(a, b)
	}
	return false
}

func toSecret(r *state.SecretRecord) *Secret {
	out := &Secret{
		Name: r.Name, ARN: r.ARN, Description: r.Description, KmsKeyID: r.KmsKeyID,
		Tags: r.Tags, Created: r.Created, Changed: r.Changed, Deleted: r.Deleted,
		DeletionDate: r.DeletionDate, Stages: map[string][]string{},
	}
	for _, v := range r.Versions {
		if len(v.Stages) > 0 {
			out.Stages[v.ID] = slices.Clone(v.Stages)
		}
	}
	return out
}

// GetSecretValue returns the version of a secret that versionID and/or
// stage select (AWSCURRENT when neither is given).
func (s *Store) GetSecretValue(_ context.Context, id, versionID, stage string) (*SecretVersionValue, error) {
	r, err := s.lookupSecret(id)
	if err != nil {
		return nil, err
	}
	if r.Deleted != nil {
		return nil, ErrScheduledForDeletion
	}
	if versionID == "" && stage == "" {
		stage = StageCurrent
	}
	for i := range r.Versions {
		v := &r.Versions[i]
		if versionID != "" && v.ID != versionID || stage != "" && !slices.Contains(v.Stages, stage) {
			continue
		}
		val, err := s.openVersion(r.ARN, v)
		if err != nil {
			return nil, err
		}
		return &SecretVersionValue{Name: r.Name, ARN: r.ARN, VersionID: v.ID, Stages: slices.Clone(v.Stages), Created: v.Created, Value: val}, nil
	}
	return nil, ErrVersionNotFound
}

// PutSecretValue adds a version to a secret with the given staging labels
// (AWSCURRENT when none): the labels move to it from other versions, and
// when AWSCURRENT moves, the version that had it becomes AWSPREVIOUS.
// It returns the version id and its labels.
func (s *Store) PutSecretValue(ctx context.Context, id, versionID string, value SecretValue, stages []string) (*Secret, string, []string, error) {
	if err := checkValue(&value); err != nil {
		return nil, "", nil, err
	}
	r, err := s.lookupSecret(id)
	if err != nil {
		return nil, "", nil, err
	}
	if r.Deleted != nil {
		return nil, "", nil, ErrScheduledForDeletion
	}
	if versionID == "" {
		versionID = newUUID()
	}
	if len(stages) == 0 {
		stages = []string{StageCurrent}
	}
	for _, v := range r.Versions {
		if v.ID == versionID {
			if s.sameVersion(r, versionID, value) {
				return toSecret(r), versionID, slices.Clone(v.Stages), nil
			}
			return nil, "", nil, ErrVersionExists
		}
	}
	now := s.now().UTC()
	nv, err := s.sealVersion(r.ARN, versionID, value, slices.Clone(stages), now)
	if err != nil {
		return nil, "", nil, err
	}
	var reused bool
	rec, err := s.st.UpdateSecret(ctx, r.Name, func(r *state.SecretRecord) error {
		if r.Deleted != nil {
			return ErrScheduledForDeletion
		}
		for _, v := range r.Versions {
			if v.ID == versionID {
				reused = true
				return nil
			}
		}
		moveCurrent := slices.Contains(stages, StageCurrent)
		for i := range r.Versions {
			v := &r.Versions[i]
			if moveCurrent {
				v.Stages = slices.DeleteFunc(v.Stages, func(l string) bool { return l == StagePrevious })
				if slices.Contains(v.Stages, StageCurrent) {
					v.Stages = append(v.Stages, StagePrevious)
				}
			}
			v.Stages = slices.DeleteFunc(v.Stages, func(l string) bool { return slices.Contains(stages, l) })
		}
		r.Versions = append(r.Versions, nv)
		for len(r.Versions) > maxSecretVersions {
			i := slices.IndexFunc(r.Versions, func(v state.SecretVersion) bool { return len(v.Stages) == 0 })
			if i < 0 {
				break
			}
			r.Versions = slices.Delete(r.Versions, i, i+1)
		}
		r.Changed = now
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		return nil, "", nil, ErrNotFound
	}
	if err != nil {
		return nil, "", nil, err
	}
	if reused {
		// A concurrent request with the same token won; judge by its value.
		return s.PutSecretValue(ctx, id, versionID, value, stages)
	}
	return toSecret(rec), versionID, slices.Clone(stages), nil
}

// ErrVersionExists: a version id is reused with a different value.
var ErrVersionExists = errors.New("You can't modify an existing version, you can only create new versions.")

// DescribeSecret returns a secret's metadata, also while it is scheduled
// for deletion.
func (s *Store) DescribeSecret(_ context.Context, id string) (*Secret, error) {
	r, err := s.lookupSecret(id)
	if err != nil {
		return nil, err
	}
	return toSecret(r), nil
}

// ListSecrets returns the secrets sorted by name, with those scheduled for
// deletion only when includeDeleted.
func (s *Store) ListSecrets(_ context.Context, includeDeleted bool) []*Secret {
	var out []*Secret
	for _, r := range s.st.Secrets() {
		if s.expired(r) || r.Deleted != nil && !includeDeleted {
			continue
		}
		out = append(out, toSecret(r))
	}
	return out
}

// DeleteSecret removes a secret at once (force) or schedules its deletion
// after windowDays (7 to 30; 0 means 30).
func (s *Store) DeleteSecret(ctx context.Context, id string, force bool, windowDays int) (*Secret, error) {
	if force && windowDays != 0 {
		return nil, invalid("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	if windowDays == 0 {
		windowDays = defaultRecoveryWindow
	}
	if windowDays < 7 || windowDays > 30 {
		return nil, invalid("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
	}
	r, err := s.lookupSecret(id)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if force {
		if err := s.st.DeleteSecret(ctx, r.Name); err != nil {
			if errors.Is(err, state.ErrNotFound) {
				return nil, ErrNotFound
			}
			return nil, err
		}
		out := toSecret(r)
		out.Deleted, out.DeletionDate = &now, &now
		return out, nil
	}
	if r.Deleted != nil {
		return nil, ErrScheduledForDeletion
	}
	rec, err := s.st.UpdateSecret(ctx, r.Name, func(r *state.SecretRecord) error {
		if r.Deleted != nil {
			return ErrScheduledForDeletion
		}
		when := now.AddDate(0, 0, windowDays)
		r.Deleted, r.DeletionDate = &now, &when
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return toSecret(rec), nil
}

// RestoreSecret cancels a scheduled deletion.
func (s *Store) RestoreSecret(ctx context.Context, id string) (*Secret, error) {
	r, err := s.lookupSecret(id)
	if err != nil {
		return nil, err
	}
	rec, err := s.st.UpdateSecret(ctx, r.Name, func(r *state.SecretRecord) error {
		r.Deleted, r.DeletionDate = nil, nil
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return toSecret(rec), nil
}
