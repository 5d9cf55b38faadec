// Package secrets owns wharf's secret store: SSM Parameter Store
// parameters and Secrets Manager secrets, kept in etcd through
// internal/state with every SecureString and secret value encrypted with
// AES-256-GCM under a key that lives only in <data-dir>/secrets.key.
//
// The API packages (internal/api/ssm, internal/api/secretsmanager) are thin
// wire layers over Store. Builds and task secrets read values with
// Store.Resolve and hide them from logs with a Masker.
//
// Errors are the sentinels below or an *InvalidError; only the API edge
// maps them to AWS exceptions.
package secrets
