// Package cbwire holds the wire types of the AWS CodeBuild API (AWS JSON
// 1.1 protocol), generated from api/models/codebuild-2016-10-06.json by
// awsgen: one struct per request, response and nested structure, named
// string types for enums, generated validators, and the Operations and
// Exceptions tables. wharf serves the project and build subset.
//
// These types are the API edge only; handlers convert them to domain types.
// Do not edit zz_generated.go; see docs/generating.md.
package cbwire

//go:generate go run ../../../tools/awsgen -model ../../../../api/models/codebuild-2016-10-06.json -package cbwire -box WrapperBoolean,WrapperInt -out zz_generated.go
