// Package ecr serves the Amazon ECR API (AWS JSON 1.1,
// AmazonEC2ContainerRegistry_V20150921) over wharf's embedded registry
// (internal/registry): repositories, images, tag mutability, lifecycle
// policies and registry tokens. Wire shapes come from ecrwire; this
// package validates, converts and maps registry errors to ECR exceptions.
package ecr
