package store

import (
	"errors"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
)

var (
	// ErrNotFound means the key does not exist.
	ErrNotFound = errors.New("store: key not found")
	// ErrExists means Create found the key already present.
	ErrExists = errors.New("store: key already exists")
	// ErrConflict means a compare-and-swap condition did not hold: the key
	// changed (or appeared) since the caller read it.
	ErrConflict = errors.New("store: revision conflict")
	// ErrCompacted means the requested revision is older than etcd's
	// compaction point; the caller must relist.
	ErrCompacted = errors.New("store: revision compacted")
)

// mapErr converts etcd errors that callers are expected to branch on into
// the package's sentinels; anything else is returned unchanged.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, rpctypes.ErrCompacted) {
		return ErrCompacted
	}
	return err
}
