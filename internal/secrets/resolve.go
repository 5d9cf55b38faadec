package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Reference kinds of Resolve, named as in a buildspec's env section.
const (
	KindParameterStore = "parameter-store"
	KindSecretsManager = "secrets-manager"
)

// Resolve returns the plaintext value a buildspec or task definition
// refers to:
//
//   - parameter-store: a parameter name or ARN, optionally "name:version";
//     SecureStrings are decrypted.
//   - secrets-manager: "secret-id:json-key:version-stage:version-id" as
//     CodeBuild takes it, where secret-id is a name or an ARN and the other
//     parts may be empty or left off. With a json-key the secret string must
//     be a JSON object; a string member is returned as is, any other member
//     as its JSON. Binary secrets are returned as their bytes.
//
// Callers that log must add the result to their Masker.
func (s *Store) Resolve(ctx context.Context, kind, ref string) (string, error) {
	switch kind {
	case KindParameterStore:
		p, err := s.GetParameter(ctx, ref, true)
		if err != nil {
			return "", fmt.Errorf("parameter %s: %w", ref, err)
		}
		return p.Value, nil
	case KindSecretsManager:
		r, err := ParseSecretRef(ref)
		if err != nil {
			return "", err
		}
		v, err := s.GetSecretValue(ctx, r.SecretID, r.VersionID, r.VersionStage)
		if err != nil {
			return "", fmt.Errorf("secret %s: %w", r.SecretID, err)
		}
		if v.Value.Binary != nil {
			if r.JSONKey != "" {
				return "", invalid("secret %s: json-key %s given for a binary secret", r.SecretID, r.JSONKey)
			}
			return string(v.Value.Binary), nil
		}
		if r.JSONKey == "" {
			return v.Value.String, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(v.Value.String), &obj); err != nil {
			return "", invalid("secret %s: json-key %s given but the secret value is not a JSON object", r.SecretID, r.JSONKey)
		}
		raw, ok := obj[r.JSONKey]
		if !ok {
			return "", fmt.Errorf("secret %s: json-key %s: %w", r.SecretID, r.JSONKey, ErrNotFound)
		}
		var str string
		if json.Unmarshal(raw, &str) == nil {
			return str, nil
		}
		return string(raw), nil
	}
	return "", invalid("unknown secret reference kind %q (want %s or %s)", kind, KindParameterStore, KindSecretsManager)
}

// SecretRef is a parsed secrets-manager reference.
type SecretRef struct {
	SecretID     string
	JSONKey      string
	VersionStage string
	VersionID    string
}

// ParseSecretRef parses "secret-id:json-key:version-stage:version-id";
// a secret-id that is an ARN keeps its own seven colon-separated fields.
func ParseSecretRef(ref string) (SecretRef, error) {
	var id, rest string
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.SplitN(ref, ":", 8)
		if len(parts) < 7 {
			return SecretRef{}, invalid("secret reference %q: malformed ARN", ref)
		}
		id = strings.Join(parts[:7], ":")
		if len(parts) == 8 {
			rest = parts[7]
		}
	} else {
		id, rest, _ = strings.Cut(ref, ":")
	}
	if id == "" {
		return SecretRef{}, invalid("secret reference %q: empty secret id", ref)
	}
	r := SecretRef{SecretID: id}
	if rest != "" {
		parts := strings.Split(rest, ":")
		if len(parts) > 3 {
			return SecretRef{}, invalid("secret reference %q: want secret-id:json-key:version-stage:version-id", ref)
		}
		parts = append(parts, "", "")
		r.JSONKey, r.VersionStage, r.VersionID = parts[0], parts[1], parts[2]
	}
	return r, nil
}
