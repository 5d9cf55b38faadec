package awsjson

import (
	"maps"
	"slices"
)

// SortedKeys returns the keys of m in increasing order, so that generated
// validators report the first problem of a map deterministically.
func SortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
