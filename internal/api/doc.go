// Package api is wharf's HTTP gateway: one port for every AWS-compatible API,
// the registry and the console.
//
// Requests are routed by protocol:
//
//	POST + X-Amz-Target: <prefix>.<Operation>   → a JSONService (ECS, Logs, ECR, …)
//	POST / form with Action=…&Version=…          → the QueryService of that Version (ELBv2)
//	GET ?Action=…&Version=…                      → likewise
//	anything else                                → the path mux (/healthz, /v2/, …)
//
// The gateway owns what every protocol shares: request ids, body limits,
// panic recovery and the mapping of errors to each protocol's AWS envelope.
// Service packages (internal/api/ecs, …) own their shapes and handlers.
package api
