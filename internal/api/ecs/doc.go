// Package ecs serves the Amazon ECS API (awsJson1_1,
// AmazonEC2ContainerServiceV20141113) on wharf's gateway.
//
// Handlers decode the generated wire shapes (package ecswire), check ECS's
// semantic rules, translate to the domain model and call internal/state.
// This package is the only place where state errors become ECS exceptions.
package ecs
