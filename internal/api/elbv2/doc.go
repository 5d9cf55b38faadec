// Package elbv2 serves the Elastic Load Balancing v2 API (AWS query
// protocol, version 2015-12-01) for application load balancers on wharf's
// gateway.
//
// Handlers decode the generated wire shapes (package elbv2wire), check
// ALB's semantic rules (names, health check bounds, listener ports,
// priorities, condition and action limits, attributes), translate to the
// domain model (internal/model/elb.go) and call internal/state. Target
// health is observed by the wharf lb data plane (internal/api/lbsvc);
// DescribeTargetHealth combines its reports with registrations. This
// package is the only place where state errors become ELBv2 error codes.
package elbv2
