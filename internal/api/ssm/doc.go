// Package ssmapi serves the Parameter Store subset of the AWS Systems
// Manager API (AWS JSON 1.1, target prefix AmazonSSM) over the encrypted
// secret store in internal/secrets: PutParameter, GetParameter,
// GetParameters, GetParametersByPath, DeleteParameter and
// DeleteParameters. Every other SSM operation answers that it is not
// implemented.
//
// Differences from AWS: parameter labels, policies, tags and the public
// /aws/service parameters are not supported (a label selector never
// matches); the tier is derived from the value's size; KeyId is recorded
// but every SecureString is encrypted under the server's own key. Without
// WithDecryption a SecureString's Value is the base64 of its ciphertext.
package ssmapi
