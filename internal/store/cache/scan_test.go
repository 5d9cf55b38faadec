package cache

import (
	"slices"
	"testing"

	"github.com/google/btree"
)

func TestScan(t *testing.T) {
	c := &Cache{}
	ix := &index{prefix: "t/", tree: btree.NewG(32, lessKey)}
	c.indexes = []*index{ix}
	var keys []string
	for _, k := range []string{"t/a#1", "t/a#2", "t/a#3", "t/b#1", "t/b#2", "t/c#1"} {
		ix.tree.ReplaceOrInsert(Entry{Key: k})
		keys = append(keys, k)
	}
	collect := func(prefix, after string, desc bool, limit int) []string {
		var out []string
		c.Scan(prefix, after, desc, func(e Entry) bool {
			out = append(out, e.Key)
			return len(out) < limit
		})
		return out
	}
	tests := []struct {
		prefix, after string
		desc          bool
		limit         int
		want          []string
	}{
		{"t/", "", false, 100, keys},
		{"t/", "", false, 2, keys[:2]},
		{"t/", "t/a#2", false, 2, []string{"t/a#3", "t/b#1"}},
		{"t/", "", true, 2, []string{"t/c#1", "t/b#2"}},
		{"t/", "t/b#1", true, 100, []string{"t/a#3", "t/a#2", "t/a#1"}},
		{"t/b#", "", false, 100, []string{"t/b#1", "t/b#2"}},
		{"t/b#", "", true, 100, []string{"t/b#2", "t/b#1"}},
		{"t/b#", "t/b#2", true, 100, []string{"t/b#1"}},
		{"t/z#", "", true, 100, nil},
	}
	for _, tt := range tests {
		got := collect(tt.prefix, tt.after, tt.desc, tt.limit)
		if !slices.Equal(got, tt.want) {
			t.Fatalf("Scan(%q, %q, desc=%v) = %v, want %v", tt.prefix, tt.after, tt.desc, got, tt.want)
		}
	}
}
