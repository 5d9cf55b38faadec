// Package logswire holds the wire types of the Amazon CloudWatch Logs API
// (AWS JSON 1.1 protocol), generated from api/models/logs-2014-03-28.json by
// awsgen: one struct per request, response and nested structure, named
// string types for enums, generated validators, and the Operations and
// Exceptions tables.
//
// These types are the API edge only; handlers convert them to domain types.
// Do not edit zz_generated.go; see docs/generating.md.
package logswire

//go:generate go run ../../../tools/awsgen -model ../../../../api/models/logs-2014-03-28.json -package logswire -out zz_generated.go
