// Package smapi serves a subset of the AWS Secrets Manager API (AWS JSON
// 1.1, target prefix secretsmanager) over the encrypted secret store in
// internal/secrets: CreateSecret, GetSecretValue, PutSecretValue,
// DescribeSecret, ListSecrets, DeleteSecret and RestoreSecret. Every other
// operation answers that it is not implemented.
//
// Differences from AWS: no rotation, replication, resource policies or
// customer KMS keys (KmsKeyId is recorded; values are encrypted under the
// server's own key); ListSecrets sorts by name (SortOrder is honoured,
// SortBy is not) and filters by name, description, tag-key, tag-value and
// all as case-sensitive prefixes; LastAccessedDate is not tracked. A
// secret scheduled for deletion disappears once its DeletionDate passes.
package smapi
