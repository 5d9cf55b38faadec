// Package storetest owns the behavioural contract of store.Store as a
// reusable test suite. Run it against every way of obtaining a store
// (embedded etcd, external etcd, a future in-memory fake) so that code built
// on the store can rely on one set of semantics.
package storetest
