package awsquery

import "strconv"

// ValidationError is the first problem found in a request: a malformed
// form parameter or a model constraint a generated validator checks. Field
// is the parameter in query form, e.g. "Targets.member.2.Port"; Reason is
// AWS-like text such as "is required" or "must be at most 65535".
type ValidationError struct {
	Field  string
	Reason string
}

// Error returns a complete sentence naming the parameter.
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "Invalid request: " + e.Reason
	}
	return "Invalid value for parameter " + e.Field + ": " + e.Reason
}

// MemberPath returns the parameter name of member name inside the
// structure at path.
func MemberPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// IndexPath returns the parameter name of element i (0-based) of the list
// at path: lists are numbered from 1 on the wire.
func IndexPath(path string, i int) string {
	return path + ".member." + strconv.Itoa(i+1)
}

// KeyPath returns the name of the value under key in the map at path.
func KeyPath(path, key string) string {
	return path + "[" + key + "]"
}
