// Package e2e holds end-to-end tests that build the wharf binary, run it
// as a separate process and drive it with the real AWS clients (the Go SDK
// and the AWS CLI v2), including hard kills and restarts.
package e2e
