// Package lb is the load balancer data plane (the `wharf lb` role): it
// turns an lbapi.Config into listening sockets that reverse-proxy HTTP/1.1
// to the targets of ALB-style target groups.
//
// It owns listeners (bind, serve, drain on removal), rule matching and
// actions (forward, fixed-response, redirect), target selection (round
// robin, least outstanding requests, slow start, stickiness, fail open),
// active health checks, deregistration draining, per-target-group metrics
// and the access log. Feed connects a Balancer to the server's lbapi
// endpoint and keeps serving the last known configuration without it.
//
// Decisions are pure functions with the time passed in (nextHealth,
// drainedAt, slowStartWeight, shouldRetry, matchRule); the Balancer and its
// goroutines are the thin shell around them.
package lb
