// Package artifacts owns wharf's artifact store: the files that builds
// upload (CodeBuild's S3 artifacts) and that pipeline actions pass to each
// other, kept under the server's data directory. wharf has no S3; an
// artifact's key is what its S3 object key would be ("LOCATION/PATH/NAME"),
// and the store is its only bucket.
package artifacts

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/wharfhq/wharf/internal/fsutil"
)

// ErrNotFound is returned for a key with no artifact.
var ErrNotFound = errors.New("artifact not found")

// Store keeps artifacts as files under a root directory.
type Store struct{ root string }

// Open returns the store rooted at dir, creating it.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{root: dir}, nil
}

// Info describes a stored artifact.
type Info struct {
	Key    string
	Size   int64
	SHA256 string
	MD5    string
}

// CleanKey validates an artifact key: slash-separated, relative, without
// empty, "." or ".." segments, so that no key escapes the store.
func CleanKey(key string) (string, error) {
	key = strings.TrimPrefix(key, "/")
	if key == "" || len(key) > 1024 {
		return "", fmt.Errorf("artifact key %q: must be 1 to 1024 characters", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsRune(seg, 0) {
			return "", fmt.Errorf("artifact key %q: invalid path segment %q", key, seg)
		}
	}
	return path.Clean(key), nil
}

func (s *Store) path(key string) (string, error) {
	key, err := CleanKey(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Put stores r under key, replacing any artifact there atomically: a reader
// sees the old or the new file, never a partial one.
func (s *Store) Put(key string, r io.Reader) (Info, error) {
	p, err := s.path(key)
	if err != nil {
		return Info{}, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return Info{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return Info{}, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	sh, m := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, sh, m), r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Info{}, err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return Info{}, err
	}
	if err := fsutil.SyncDir(filepath.Dir(p)); err != nil {
		return Info{}, err
	}
	k, _ := CleanKey(key)
	return Info{Key: k, Size: n, SHA256: hex.EncodeToString(sh.Sum(nil)), MD5: hex.EncodeToString(m.Sum(nil))}, nil
}

// Open returns the artifact stored under key.
func (s *Store) Open(key string) (*os.File, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return f, err
}

// Path returns the file of an artifact, for readers on the server's host.
func (s *Store) Path(key string) (string, error) { return s.path(key) }

// Delete removes an artifact; a missing one is not an error.
func (s *Store) Delete(key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
