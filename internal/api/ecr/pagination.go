package ecr

import (
	"encoding/base64"
)

// page returns up to max items (default 100) after the opaque token, and
// the token of the next page ("" on the last one). Items must be sorted
// by key.
func page[T any](items []T, max int32, token string, key func(T) string) ([]T, string, error) {
	size := int(max)
	if size <= 0 {
		size = 100
	}
	start := 0
	if token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", invalidParameter("Invalid parameter at 'nextToken': the token is not valid")
		}
		for start < len(items) && key(items[start]) <= string(after) {
			start++
		}
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
	}
	return items[start:end], next, nil
}
