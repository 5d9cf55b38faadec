// Package server wires wharf's control plane together and owns its start
// and stop order:
//
//	listen → open store (embedded etcd or external) → prime state cache
//	       → register API services → ready (/healthz 200)
//	shutdown: stop accepting → finish in-flight requests → close store
package server
