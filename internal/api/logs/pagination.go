package logsapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/internal/logs"
)

// pageToken is the decoded form of an opaque listing nextToken: the sort
// key of the last item returned, bound to its operation.
type pageToken struct {
	Op     string `json:"o"`
	Time   int64  `json:"t,omitempty"`
	Name   string `json:"n,omitempty"`
	Seq    int64  `json:"s,omitempty"`
	Stream string `json:"r,omitempty"`
}

func encodePageToken(t pageToken) string {
	buf, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(buf)
}

func decodePageToken(op, tok string) (pageToken, error) {
	var t pageToken
	buf, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		err = json.Unmarshal(buf, &t)
	}
	if err != nil || t.Op != op {
		return pageToken{}, invalidParameter("The specified nextToken is invalid.")
	}
	return t, nil
}

// page returns the items after the token (in the order given, which
// keyOf's keys follow) and the next token, "" on the last page.
func page[T any](op string, items []T, size int, token string, keyOf func(T) pageToken, after func(item T, key pageToken) bool) ([]T, string, error) {
	start := 0
	if token != "" {
		key, err := decodePageToken(op, token)
		if err != nil {
			return nil, "", err
		}
		for start < len(items) && !after(items[start], key) {
			start++
		}
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		k := keyOf(items[end-1])
		k.Op = op
		next = encodePageToken(k)
	}
	return items[start:end], next, nil
}

// GetLogEvents tokens are positions in the stream: "f/<ts>/<seq>" reads
// forward after the position, "b/<ts>/<seq>" backward before it.
func eventToken(dir byte, c logs.Cursor) string {
	return fmt.Sprintf("%c/%d/%d", dir, c.Timestamp, c.Seq)
}

func parseEventToken(tok string) (backward bool, c logs.Cursor, err error) {
	bad := invalidParameter("The specified nextToken is invalid.")
	parts := strings.Split(tok, "/")
	if len(parts) != 3 || (parts[0] != "f" && parts[0] != "b") {
		return false, c, bad
	}
	ts, err1 := strconv.ParseInt(parts[1], 10, 64)
	seq, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return false, c, bad
	}
	return parts[0] == "b", logs.Cursor{Timestamp: ts, Seq: seq}, nil
}
