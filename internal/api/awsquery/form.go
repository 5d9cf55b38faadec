package awsquery

import (
	"encoding/base64"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Node is one level of a parsed form: a parameter "A.B.C=v" is the value
// of node C under node B under node A of the root.
type Node struct {
	value    string
	hasValue bool
	children map[string]*Node
}

// maxKeyLength bounds one parameter name; longer names are refused
// rather than split into thousands of levels.
const maxKeyLength = 512

// ParseForm parses an application/x-www-form-urlencoded body (or a URL
// query) into a tree. A parameter given twice, a name that does not
// unescape or a name longer than 512 bytes is a *ValidationError naming it.
func ParseForm(raw string) (*Node, error) {
	root := &Node{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, &ValidationError{Field: truncate(rawKey), Reason: "parameter name is not URL-encoded correctly"}
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, &ValidationError{Field: truncate(key), Reason: "value is not URL-encoded correctly"}
		}
		if len(key) > maxKeyLength {
			return nil, &ValidationError{Field: truncate(key), Reason: "parameter name is too long"}
		}
		n := root
		for part := range strings.SplitSeq(key, ".") {
			if n.children == nil {
				n.children = make(map[string]*Node)
			}
			c := n.children[part]
			if c == nil {
				c = &Node{}
				n.children[part] = c
			}
			n = c
		}
		if n.hasValue {
			return nil, &ValidationError{Field: truncate(key), Reason: "is specified more than once"}
		}
		n.value, n.hasValue = value, true
	}
	return root, nil
}

func truncate(s string) string {
	if len(s) > 128 {
		return s[:128] + "…"
	}
	return s
}

// Value returns the value of the top-level parameter name ("" when absent).
func (n *Node) Value(name string) string {
	if c := n.Child(name); c != nil {
		return c.value
	}
	return ""
}

// Child returns the node of member name, or nil when the request has no
// parameter under it.
func (n *Node) Child(name string) *Node {
	if n == nil {
		return nil
	}
	return n.children[name]
}

// Struct checks that n can be a structure: nested parameters, not a value.
func (n *Node) Struct(path string) error {
	if n.hasValue && n.value != "" {
		return &ValidationError{Field: path, Reason: "expected a structure (nested parameters), got a value"}
	}
	return nil
}

func (n *Node) scalar(path string) (string, error) {
	if len(n.children) > 0 {
		return "", &ValidationError{Field: path, Reason: "expected a value, got nested parameters"}
	}
	return n.value, nil
}

// String reads a string value.
func (n *Node) String(path string) (string, error) { return n.scalar(path) }

// Int32 reads a 32-bit integer.
func (n *Node) Int32(path string) (int32, error) {
	s, err := n.scalar(path)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, &ValidationError{Field: path, Reason: "expected an integer, got " + strconv.Quote(truncate(s))}
	}
	return int32(v), nil
}

// Int64 reads a 64-bit integer.
func (n *Node) Int64(path string) (int64, error) {
	s, err := n.scalar(path)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, &ValidationError{Field: path, Reason: "expected an integer, got " + strconv.Quote(truncate(s))}
	}
	return v, nil
}

// Float64 reads a finite number.
func (n *Node) Float64(path string) (float64, error) {
	s, err := n.scalar(path)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, &ValidationError{Field: path, Reason: "expected a number, got " + strconv.Quote(truncate(s))}
	}
	return v, nil
}

// Float32 reads a finite number that fits a float32.
func (n *Node) Float32(path string) (float32, error) {
	v, err := n.Float64(path)
	if err != nil {
		return 0, err
	}
	if math.Abs(v) > math.MaxFloat32 {
		return 0, &ValidationError{Field: path, Reason: "number is out of range"}
	}
	return float32(v), nil
}

// Bool reads true or false (in any case).
func (n *Node) Bool(path string) (bool, error) {
	s, err := n.scalar(path)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &ValidationError{Field: path, Reason: "expected true or false, got " + strconv.Quote(truncate(s))}
}

// Time reads an ISO 8601 timestamp (RFC 3339, with or without fraction)
// or a number of seconds since the epoch.
func (n *Node) Time(path string) (time.Time, error) {
	s, err := n.scalar(path)
	if err != nil {
		return time.Time{}, err
	}
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && math.Abs(f) < 1e15 {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	return time.Time{}, &ValidationError{Field: path, Reason: "expected an ISO 8601 timestamp, got " + strconv.Quote(truncate(s))}
}

// Blob reads base64 (standard encoding) bytes.
func (n *Node) Blob(path string) ([]byte, error) {
	s, err := n.scalar(path)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, &ValidationError{Field: path, Reason: "expected base64-encoded data"}
	}
	return b, nil
}

// List returns the elements of a list: the nodes under
// path.<member>.1 … path.<member>.N, which must be numbered from 1 without
// gaps. "path=" with nothing under it is the empty list.
func (n *Node) List(path, member string) ([]*Node, error) {
	if n.hasValue && n.value != "" {
		return nil, &ValidationError{Field: path, Reason: "expected a list (" + path + "." + member + ".N parameters), got a value"}
	}
	if len(n.children) == 0 {
		return []*Node{}, nil
	}
	for _, name := range SortedKeys(n.children) {
		if name != member {
			return nil, &ValidationError{Field: path + "." + truncate(name), Reason: "is not a list element (expected " + path + "." + member + ".N)"}
		}
	}
	return numbered(n.children[member], path+"."+member)
}

// numbered returns the children of n named 1…len in order. Problems are
// reported for the smallest offending name, so errors are deterministic.
func numbered(n *Node, path string) ([]*Node, error) {
	if n.hasValue {
		return nil, &ValidationError{Field: path, Reason: "is missing an element number"}
	}
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]*Node, len(n.children))
	for _, name := range names {
		i, err := strconv.Atoi(name)
		if err != nil || i < 1 || i > len(out) || strconv.Itoa(i) != name {
			return nil, &ValidationError{Field: path + "." + truncate(name),
				Reason: "elements must be numbered 1 to " + strconv.Itoa(len(out)) + " without gaps"}
		}
		out[i-1] = n.children[name]
	}
	return out, nil
}

// Entry is one map entry of a form.
type Entry struct {
	Key   string
	Value *Node
}

// Map returns the entries of a map: path.entry.N.<key> and
// path.entry.N.<value>, numbered from 1 without gaps, keys unique.
func (n *Node) Map(path, key, value string) ([]Entry, error) {
	if n.hasValue && n.value != "" {
		return nil, &ValidationError{Field: path, Reason: "expected a map (" + path + ".entry.N parameters), got a value"}
	}
	if len(n.children) == 0 {
		return []Entry{}, nil
	}
	for _, name := range SortedKeys(n.children) {
		if name != "entry" {
			return nil, &ValidationError{Field: path + "." + truncate(name), Reason: "is not a map entry (expected " + path + ".entry.N)"}
		}
	}
	items, err := numbered(n.children["entry"], path+".entry")
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(items))
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		p := path + ".entry." + strconv.Itoa(i+1)
		kn := it.Child(key)
		if kn == nil {
			return nil, &ValidationError{Field: p + "." + key, Reason: "is required"}
		}
		k, err := kn.scalar(p + "." + key)
		if err != nil {
			return nil, err
		}
		if seen[k] {
			return nil, &ValidationError{Field: p + "." + key, Reason: "duplicate key " + strconv.Quote(truncate(k))}
		}
		seen[k] = true
		v := it.Child(value)
		if v == nil {
			v = &Node{hasValue: true}
		}
		out[i] = Entry{Key: k, Value: v}
	}
	return out, nil
}
