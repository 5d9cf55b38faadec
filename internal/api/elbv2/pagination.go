package elbv2

import (
	"encoding/base64"
	"sort"
)

// Page sizes: ELBv2 returns up to 400 items when PageSize is absent.
const maxPageSize = 400

// paginate returns the page of keys (sorted ascending) after marker and
// the marker of the next page ("" on the last). Markers are the base64 of
// the last key returned, prefixed by the operation so that a marker of one
// listing is refused by another.
func paginate(op string, keys []string, pageSize *int32, marker string) ([]string, string, error) {
	size := maxPageSize
	if pageSize != nil {
		if *pageSize < 1 || *pageSize > maxPageSize {
			return nil, "", validationError("PageSize must be between 1 and %d", maxPageSize)
		}
		size = int(*pageSize)
	}
	start := 0
	if marker != "" {
		raw, err := base64.RawURLEncoding.DecodeString(marker)
		after, ok := "", false
		if err == nil && len(raw) > len(op) && string(raw[:len(op)+1]) == op+":" {
			after, ok = string(raw[len(op)+1:]), true
		}
		if !ok {
			return nil, "", validationError("Invalid Marker")
		}
		start = sort.SearchStrings(keys, after)
		if start < len(keys) && keys[start] == after {
			start++
		}
	}
	end := min(start+size, len(keys))
	next := ""
	if end < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(op + ":" + keys[end-1]))
	}
	return keys[start:end], next, nil
}
