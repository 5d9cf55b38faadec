package ecs

import (
	"encoding/base64"
	"encoding/json"
	"sort"
)

// Page sizes ECS uses when maxResults is absent, and its upper bound.
const (
	defaultPageSize = 100
	maxPageSize     = 100
)

// pageToken is the decoded form of an opaque nextToken: the sort key of the
// last item returned and the operation it belongs to, so that a token of
// one listing cannot be replayed against another.
type pageToken struct {
	Op    string `json:"o"`
	After string `json:"a"`
}

func encodeToken(op, after string) string {
	buf, _ := json.Marshal(pageToken{Op: op, After: after})
	return base64.RawURLEncoding.EncodeToString(buf)
}

func decodeToken(op, tok string) (string, error) {
	buf, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", invalidParameter("Invalid nextToken.")
	}
	var t pageToken
	if err := json.Unmarshal(buf, &t); err != nil || t.Op != op {
		return "", invalidParameter("Invalid nextToken.")
	}
	return t.After, nil
}

// paginate returns the page of keys (sorted ascending) that follows the
// token, and the token of the next page ("" on the last page).
func paginate(op string, keys []string, maxResults *int32, token string, defSize int) ([]string, string, error) {
	return paginateOrdered(op, keys, false, maxResults, token, defSize)
}

// paginateOrdered is paginate for keys sorted ascending, or descending
// when desc is set.
func paginateOrdered(op string, keys []string, desc bool, maxResults *int32, token string, defSize int) ([]string, string, error) {
	size := defSize
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > maxPageSize {
			return nil, "", invalidParameter("maxResults must be between 1 and %d.", maxPageSize)
		}
		size = int(*maxResults)
	}
	start := 0
	if token != "" {
		after, err := decodeToken(op, token)
		if err != nil {
			return nil, "", err
		}
		start = sort.Search(len(keys), func(i int) bool {
			if desc {
				return keys[i] <= after
			}
			return keys[i] >= after
		})
		if start < len(keys) && keys[start] == after {
			start++
		}
	}
	end := min(start+size, len(keys))
	page := keys[start:end]
	next := ""
	if end < len(keys) {
		next = encodeToken(op, keys[end-1])
	}
	return page, next, nil
}
