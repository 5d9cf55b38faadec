package codepipeline

import (
	"encoding/base64"
	"time"

	"github.com/wharfhq/wharf/internal/api"
	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
)

// Page sizes: the defaults and limits of the API model.
const (
	maxPipelines      = 1000
	defaultMaxResults = 100
)

// timeKey orders by t and then by id; the fixed-width UTC form sorts like
// the time.
func timeKey(t time.Time, id string) string {
	return t.UTC().Format("20060102T150405.000000000") + "/" + id
}

// page returns up to limit items after the opaque token, and the token of
// the next page ("" on the last one). items are in list order and key
// orders them ascending (or descending when desc) without repeats; the
// token holds the last key returned, so a page is not shifted by items
// created or deleted meanwhile.
func page[T any](items []T, key func(T) string, desc bool, limit int32, token string) ([]T, string, error) {
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) == 0 {
			return nil, "", api.Errorf(w.ErrInvalidNextTokenException, "The next token is not valid: %s", token)
		}
		after := string(raw)
		for start < len(items) && (!desc && key(items[start]) <= after || desc && key(items[start]) >= after) {
			start++
		}
	}
	end := min(start+int(limit), len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
	}
	return items[start:end], next, nil
}

// limit returns maxResults, or def when it is not set.
func limit(maxResults, def int32) int32 {
	if maxResults <= 0 {
		return def
	}
	return maxResults
}
