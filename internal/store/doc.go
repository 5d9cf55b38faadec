// Package store owns wharf's persistent state: every resource lives as a key
// in etcd under one namespace (Config.Prefix, "/wharf/" by default).
//
// It owns:
//
//   - Store, a small key/value API over clientv3 with the semantics the rest
//     of wharf relies on: optimistic concurrency on ModRevision (Update,
//     Delete, Txn), sentinel errors (ErrNotFound, ErrExists, ErrConflict,
//     ErrCompacted), consistent paginated List at one revision, and a Watch
//     that survives client reconnects;
//   - the embedded single-member etcd server that Open starts when no
//     external endpoints are configured, and the data-directory lock that
//     keeps two wharf servers off the same directory;
//   - Codec, the seam between domain types and their stored bytes.
//
// Keys given to and returned by Store methods are relative to the prefix.
// Domain repositories are built on top of this package; the watch-fed read
// cache lives in package store/cache and the reusable contract test suite in
// package store/storetest.
package store
