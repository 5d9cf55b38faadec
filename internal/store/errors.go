package store

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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
	// ErrUnavailable means etcd did not answer in time or has no leader:
	// the write may or may not have happened, and retrying is safe for
	// callers that re-read before writing.
	ErrUnavailable error = unavailableError{}
)

// unavailableError lets layers that must not import the store (the API
// gateway) recognise ErrUnavailable through its Unavailable method.
type unavailableError struct{}

func (unavailableError) Error() string     { return "store: etcd unavailable" }
func (unavailableError) Unavailable() bool { return true }

// unavailableErrs are etcd's transient errors.
var unavailableErrs = []error{
	rpctypes.ErrTimeout, rpctypes.ErrTimeoutDueToLeaderFail, rpctypes.ErrTimeoutDueToConnectionLost,
	rpctypes.ErrNoLeader, rpctypes.ErrNotCapable, rpctypes.ErrStopped, rpctypes.ErrLeaderChanged,
	rpctypes.ErrTooManyRequests,
}

// mapErr converts etcd errors that callers are expected to branch on into
// the package's sentinels; anything else is returned unchanged.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, rpctypes.ErrCompacted) {
		return ErrCompacted
	}
	for _, u := range unavailableErrs {
		if errors.Is(err, u) {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
	}
	if status.Code(err) == codes.Unavailable || status.Code(err) == codes.DeadlineExceeded {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
