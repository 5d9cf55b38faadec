// Package cpwire holds the wire types of the AWS CodePipeline API (AWS JSON
// 1.1 protocol), generated from api/models/codepipeline-2015-07-09.json by
// awsgen: one struct per request, response and nested structure, named
// string types for enums, generated validators, and the Operations and
// Exceptions tables. wharf serves the pipeline, execution and approval
// subset.
//
// These types are the API edge only; handlers convert them to domain types.
// Do not edit zz_generated.go; see docs/generating.md.
package cpwire

//go:generate go run ../../../tools/awsgen -model ../../../../api/models/codepipeline-2015-07-09.json -package cpwire -out zz_generated.go
