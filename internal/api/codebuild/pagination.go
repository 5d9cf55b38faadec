package codebuild

import (
	"encoding/base64"
	"sort"
	"time"
)

// pageSize is how many names or ids a list operation returns per page, as
// CodeBuild does.
const pageSize = 100

// entry is one item of a list: key orders the list and is unique; value is
// what the page returns.
type entry struct{ key, value string }

// timeKey orders by t and then by name; the fixed-width UTC form sorts
// like the time.
func timeKey(t time.Time, name string) string {
	return t.UTC().Format("20060102T150405.000000000") + "/" + name
}

// page sorts entries by key (descending when desc) and returns the values of
// up to pageSize entries after the opaque token, and the token of the next
// page ("" on the last one). The token holds the last key returned, so a
// page is not shifted by items created or deleted meanwhile.
func page(entries []entry, desc bool, token string) ([]string, string, error) {
	sort.Slice(entries, func(i, j int) bool {
		if desc {
			return entries[i].key > entries[j].key
		}
		return entries[i].key < entries[j].key
	})
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) == 0 {
			return nil, "", fieldError("nextToken", "the token is not valid")
		}
		after := string(raw)
		for start < len(entries) && (!desc && entries[start].key <= after || desc && entries[start].key >= after) {
			start++
		}
	}
	end := min(start+pageSize, len(entries))
	out := make([]string, 0, end-start)
	for _, e := range entries[start:end] {
		out = append(out, e.value)
	}
	next := ""
	if end < len(entries) {
		next = base64.RawURLEncoding.EncodeToString([]byte(entries[end-1].key))
	}
	return out, next, nil
}
