// Package smwire holds the wire types of the AWS Secrets Manager API (AWS
// JSON 1.1 protocol), generated from api/models/secretsmanager-2017-10-17.json
// by awsgen: one struct per request, response and nested structure, named
// string types for enums, generated validators, and the Operations and
// Exceptions tables.
//
// These types are the API edge only; handlers convert them to domain types.
// Do not edit zz_generated.go; see docs/generating.md.
package smwire

//go:generate go run ../../../tools/awsgen -model ../../../../api/models/secretsmanager-2017-10-17.json -package smwire -out zz_generated.go
