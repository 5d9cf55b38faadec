// Package ecswire holds the wire types of the Amazon ECS API (AWS JSON 1.1
// protocol), generated from api/models/ecs-2014-11-13.json by awsgen: one
// struct per request, response and nested structure, named string types for
// enums, generated validators, and the Operations and Exceptions tables.
//
// The go:generate line marks ContainerDefinition.name and .image as
// required: ECS rejects a container without them ("Container.name should
// not be null or empty") although its model leaves both optional.
//
// These types are the API edge only; handlers convert them to domain types.
// Do not edit zz_generated.go; see docs/generating.md.
package ecswire

//go:generate go run ../../../tools/awsgen -model ../../../../api/models/ecs-2014-11-13.json -package ecswire -require ContainerDefinition.name,ContainerDefinition.image -out zz_generated.go
