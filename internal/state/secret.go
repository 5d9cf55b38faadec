package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharfhq/wharf/internal/store"
)

// Key prefixes of the secret store (internal/secrets). Values are stored
// as records whose secret material is ciphertext only: the state package
// never sees a plaintext SecureString or secret value.
const (
	prefixParameters = "parameters/"
	prefixSecrets    = "secrets/"
)

func registerSecrets(s *State) {
	s.cache.Register(prefixParameters, decoder[ParameterRecord]())
	s.cache.Register(prefixSecrets, decoder[SecretRecord]())
}

// ParameterRecord is the stored form of an SSM parameter with its history.
type ParameterRecord struct {
	Name string `json:"name"`
	// Versions holds the retained versions, oldest first; the last one is
	// the current version.
	Versions []ParameterVersion `json:"versions"`
}

// ParameterVersion is one version of a parameter. Value is plaintext for
// String and StringList and AES-GCM ciphertext for SecureString.
type ParameterVersion struct {
	Version     int64     `json:"version"`
	Type        string    `json:"type"`
	DataType    string    `json:"dataType,omitempty"`
	Description string    `json:"description,omitempty"`
	KeyID       string    `json:"keyId,omitempty"`
	Value       []byte    `json:"value"`
	Modified    time.Time `json:"modified"`
}

// Current returns the latest version.
func (p *ParameterRecord) Current() *ParameterVersion {
	if len(p.Versions) == 0 {
		return nil
	}
	return &p.Versions[len(p.Versions)-1]
}

// SecretRecord is the stored form of a Secrets Manager secret.
type SecretRecord struct {
	Name        string            `json:"name"`
	ARN         string            `json:"arn"`
	Description string            `json:"description,omitempty"`
	KmsKeyID    string            `json:"kmsKeyId,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Created     time.Time         `json:"created"`
	Changed     time.Time         `json:"changed"`
	// Deleted is set while the secret is scheduled for deletion, which
	// takes effect at DeletionDate.
	Deleted      *time.Time `json:"deleted,omitempty"`
	DeletionDate *time.Time `json:"deletionDate,omitempty"`
	// Versions holds the retained versions, oldest first.
	Versions []SecretVersion `json:"versions,omitempty"`
}

// SecretVersion is one version of a secret; Ciphertext is the AES-GCM
// encryption of the secret string or binary.
type SecretVersion struct {
	ID         string    `json:"id"`
	Stages     []string  `json:"stages,omitempty"`
	Created    time.Time `json:"created"`
	Binary     bool      `json:"binary,omitempty"`
	Ciphertext []byte    `json:"ciphertext"`
}

// Parameter returns a parameter record from the cache.
func (s *State) Parameter(name string) (*ParameterRecord, bool) {
	v, _, ok := get[ParameterRecord](s, prefixParameters+name)
	return v, ok
}

// ParametersWithPrefix returns the parameters whose names start with
// prefix, sorted by name.
func (s *State) ParametersWithPrefix(prefix string) []*ParameterRecord {
	return list[ParameterRecord](s, prefixParameters+prefix)
}

// CreateParameter stores a new parameter; ErrExists if the name is taken.
func (s *State) CreateParameter(ctx context.Context, p *ParameterRecord) error {
	return create(ctx, s, prefixParameters+p.Name, p)
}

// UpdateParameter applies fn to a stored parameter with compare-and-swap.
func (s *State) UpdateParameter(ctx context.Context, name string, fn func(*ParameterRecord) error) (*ParameterRecord, error) {
	return mutate(ctx, s, prefixParameters+name, fn)
}

// DeleteParameter removes a parameter; ErrNotFound if absent.
func (s *State) DeleteParameter(ctx context.Context, name string) error {
	return s.remove(ctx, prefixParameters+name)
}

// Secret returns a secret record from the cache.
func (s *State) Secret(name string) (*SecretRecord, bool) {
	v, _, ok := get[SecretRecord](s, prefixSecrets+name)
	return v, ok
}

// Secrets returns every secret record, sorted by name.
func (s *State) Secrets() []*SecretRecord {
	return list[SecretRecord](s, prefixSecrets)
}

// CreateSecret stores a new secret; ErrExists if the name is taken.
func (s *State) CreateSecret(ctx context.Context, sec *SecretRecord) error {
	return create(ctx, s, prefixSecrets+sec.Name, sec)
}

// UpdateSecret applies fn to a stored secret with compare-and-swap.
func (s *State) UpdateSecret(ctx context.Context, name string, fn func(*SecretRecord) error) (*SecretRecord, error) {
	return mutate(ctx, s, prefixSecrets+name, fn)
}

// DeleteSecret removes a secret; ErrNotFound if absent.
func (s *State) DeleteSecret(ctx context.Context, name string) error {
	return s.remove(ctx, prefixSecrets+name)
}

// RawParameter returns the bytes stored in etcd for a parameter, bypassing
// the cache: for tests that check what reaches the disk.
func (s *State) RawParameter(ctx context.Context, name string) ([]byte, error) {
	return s.raw(ctx, prefixParameters+name)
}

// RawSecret returns the bytes stored in etcd for a secret, bypassing the
// cache: for tests that check what reaches the disk.
func (s *State) RawSecret(ctx context.Context, name string) ([]byte, error) {
	return s.raw(ctx, prefixSecrets+name)
}

func (s *State) raw(ctx context.Context, key string) ([]byte, error) {
	kv, err := s.store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return kv.Value, nil
}
