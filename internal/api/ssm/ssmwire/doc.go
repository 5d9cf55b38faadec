// Package ssmwire holds the wire types of the AWS Systems Manager API (AWS
// JSON 1.1 protocol), generated from api/models/ssm-2014-11-06.json by
// awsgen: one struct per request, response and nested structure, named
// string types for enums, generated validators, and the Operations and
// Exceptions tables. wharf serves the Parameter Store subset only.
//
// These types are the API edge only; handlers convert them to domain types.
// Do not edit zz_generated.go; see docs/generating.md.
package ssmwire

//go:generate go run ../../../tools/awsgen -model ../../../../api/models/ssm-2014-11-06.json -package ssmwire -out zz_generated.go
