package awsjson

import "strconv"

// ValidationError is the first problem a generated validator finds in a
// request. Field is the JSON path of the offending member, e.g.
// "containerDefinitions[0].portMappings[1].protocol"; Reason is AWS-like
// text such as "is required" or "must be one of: EC2, FARGATE, EXTERNAL".
type ValidationError struct {
	Field  string
	Reason string
}

// Error returns a complete sentence naming the field, e.g.
// "Invalid value for field containerDefinitions[0].name: is required".
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "Invalid request: " + e.Reason
	}
	return "Invalid value for field " + e.Field + ": " + e.Reason
}

// MemberPath returns the path of member name inside the structure at path.
func MemberPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// IndexPath returns the path of element i of the list at path.
func IndexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// KeyPath returns the path of the value under key in the map at path.
func KeyPath(path, key string) string {
	return path + "[" + key + "]"
}
