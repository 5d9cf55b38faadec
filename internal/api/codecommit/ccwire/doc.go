// Package ccwire holds the wire types of the AWS CodeCommit API (AWS JSON
// 1.1 protocol), generated from api/models/codecommit-2015-04-13.json by
// awsgen: one struct per request, response and nested structure, named
// string types for enums, generated validators, and the Operations and
// Exceptions tables.
//
// These types are the API edge only; handlers convert them to gitrepo
// types. Do not edit zz_generated.go; see docs/generating.md.
package ccwire

//go:generate go run ../../../tools/awsgen -model ../../../../api/models/codecommit-2015-04-13.json -package ccwire -out zz_generated.go
