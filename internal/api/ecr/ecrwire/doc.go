// Package ecrwire holds the wire types of the Amazon ECR API (AWS JSON 1.1
// protocol), generated from api/models/ecr-2015-09-21.json by awsgen: one
// struct per request, response and nested structure, named string types
// for enums, generated validators, and the Operations and Exceptions
// tables.
//
// These types are the API edge only; handlers convert them to registry
// types. Do not edit zz_generated.go; see docs/generating.md.
package ecrwire

//go:generate go run ../../../tools/awsgen -model ../../../../api/models/ecr-2015-09-21.json -package ecrwire -out zz_generated.go
