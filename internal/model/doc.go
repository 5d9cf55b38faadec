// Package model holds wharf's domain types: clusters, task definitions,
// container instances, tags, attributes and account settings.
//
// The domain model is independent of any wire protocol (the AWS shapes live
// in internal/api/*wire) and of storage (internal/state encodes these types).
// It imports nothing internal. Fields that wharf stores and returns but never
// acts on are kept as raw JSON (Passthrough fields) so that they round-trip
// faithfully without a second copy of every AWS shape.
package model
