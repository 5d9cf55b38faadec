package codecommit

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/api"
	w "github.com/wharfhq/wharf/internal/api/codecommit/ccwire"
)

// page sorts items by key (descending when desc) and returns up to size
// of them after the opaque token, and the token of the next page ("" on
// the last one). A token is the key of the last item returned, tagged
// with the listing it belongs to (scope), so it stays valid when items
// are created or deleted between pages.
func page[T any](items []T, key func(T) string, desc bool, scope, token string, size int) ([]T, string, error) {
	sort.SliceStable(items, func(i, j int) bool {
		if desc {
			return key(items[i]) > key(items[j])
		}
		return key(items[i]) < key(items[j])
	})
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		tokScope, after, ok := strings.Cut(string(raw), "\n")
		if err != nil || !ok || tokScope != scope {
			return nil, "", api.Errorf(w.ErrInvalidContinuationTokenException, "The continuation token is not valid")
		}
		for start < len(items) && (!desc && key(items[start]) <= after || desc && key(items[start]) >= after) {
			start++
		}
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(scope + "\n" + key(items[end-1])))
	}
	return items[start:end], next, nil
}

// sortableTime formats t so that string order is time order.
func sortableTime(t time.Time) string { return fmt.Sprintf("%020d", t.UnixNano()) }
