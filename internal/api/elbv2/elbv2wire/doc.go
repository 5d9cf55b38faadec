// Package elbv2wire holds the wire types of the Elastic Load Balancing v2
// API (AWS query protocol, version 2015-12-01), generated from
// api/models/elbv2-2015-12-01.json by awsgen: one struct per request,
// response and nested structure (every scalar member a pointer: query
// models do not say which are optional), a form decoder (DecodeQuery) per
// request structure, an XML encoder (EncodeXML) per response structure,
// named string types for enums, generated validators, and the Operations
// and Exceptions tables (keyed by error code, e.g. "TargetGroupNotFound").
//
// These types are the API edge only; handlers convert them to domain types.
// Do not edit zz_generated.go; see docs/generating.md.
package elbv2wire

//go:generate go run ../../../tools/awsgen -model ../../../../api/models/elbv2-2015-12-01.json -package elbv2wire -out zz_generated.go
