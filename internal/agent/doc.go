// Package agent is wharf's instance agent: it registers a container
// instance in one cluster, long-polls the server's agent API for the tasks
// placed on it, runs one taskrun.Runner per task against the container
// runtime, and reports their state back. It never touches etcd.
//
// On start it reconciles with what really runs: runners adopt the
// containers they find by label (a running task is never started twice),
// and containers of tasks the server no longer wants are stopped.
//
//	register ──▶ poll desired tasks ──▶ reconcile runners ──▶ poll …
//	                 ▲                        │ state changes
//	                 └──── report (queued, retried, latest wins) ◀┘
package agent
