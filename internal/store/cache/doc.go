// Package cache owns wharf's in-memory read view of the store: decoded
// objects for registered key prefixes, kept current by a single etcd watch
// over the whole store namespace.
//
// Because that one watch sees every write in the namespace, the cache's
// Revision tracks the store's, and WaitForRevision(rev) after a write gives
// read-your-writes. Readers (API handlers, the scheduler, controllers) read
// from the cache; writers go to the store with the ModRevision they read.
//
// Objects are decoded once, when they arrive, and shared by all readers:
// treat everything returned by Get, List and Subscribe as immutable.
package cache
