package artifacts

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPutOpenDelete(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Put("bucket/app/build.zip", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != 5 || info.SHA256 != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" || info.MD5 != "5d41402abc4b2a76b9719d911017c592" {
		t.Fatalf("info = %+v", info)
	}
	if _, err := s.Put("bucket/app/build.zip", strings.NewReader("v2")); err != nil {
		t.Fatal(err)
	}
	f, err := s.Open("/bucket/app/build.zip")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "v2" {
		t.Fatalf("read %q after overwrite", b)
	}
	if err := s.Delete("bucket/app/build.zip"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open("bucket/app/build.zip"); err == nil {
		t.Fatal("open after delete: no error")
	}
	if err := s.Delete("bucket/app/build.zip"); err != nil {
		t.Fatalf("deleting a missing artifact: %v", err)
	}
}

func TestKeysCannotEscape(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "../x", "a/../../x", "a//b", "a/./b", "a/..", strings.Repeat("k", 1025)} {
		if _, err := s.Put(key, strings.NewReader("x")); err == nil {
			t.Errorf("Put(%q): no error", key)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files outside the store: %v", entries)
	}
}

func FuzzCleanKey(f *testing.F) {
	for _, k := range []string{"a/b", "../x", "/a", "a/./b", "..", "a\x00b"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		k, err := CleanKey(key)
		if err != nil {
			return
		}
		p := filepath.Join("/root-of-store", filepath.FromSlash(k))
		if !strings.HasPrefix(p, "/root-of-store/") {
			t.Fatalf("key %q escapes to %s", key, p)
		}
	})
}
