package secrets

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/wharfhq/wharf/internal/state"
)

// Sentinel errors; the API packages map them to AWS exceptions.
var (
	// ErrNotFound: no such parameter or secret.
	ErrNotFound = errors.New("not found")
	// ErrVersionNotFound: the item exists but not the version or label asked for.
	ErrVersionNotFound = errors.New("version not found")
	// ErrExists: the name (or version id with another value) is taken.
	ErrExists = errors.New("already exists")
	// ErrScheduledForDeletion: the secret is marked for deletion.
	ErrScheduledForDeletion = errors.New("scheduled for deletion")
	// ErrHierarchyTooDeep: a parameter name has more than 15 levels.
	ErrHierarchyTooDeep = errors.New("hierarchy too deep")
)

// InvalidError is a request the store refuses; Reason is user-facing.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return e.Reason }

func invalid(format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// Store is the encrypted secret store over the state repositories. It is
// safe for concurrent use.
type Store struct {
	st      *state.State
	seal    *sealer
	region  string
	account string
	now     func() time.Time
}

// Config configures New.
type Config struct {
	State   *state.State
	Key     []byte // 32 bytes; see LoadOrCreateKey
	Region  string // for ARNs
	Account string // for ARNs
	Now     func() time.Time
}

// New returns a store that encrypts with cfg.Key.
func New(cfg Config) (*Store, error) {
	s, err := newSealer(cfg.Key)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{st: cfg.State, seal: s, region: cfg.Region, account: cfg.Account, now: cfg.Now}, nil
}

// Open returns a store whose key is dataDir/secrets.key, created on first use.
func Open(dataDir string, st *state.State, region, account string) (*Store, error) {
	key, err := LoadOrCreateKey(dataDir)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	return New(Config{State: st, Key: key, Region: region, Account: account})
}

// Region and Account are the ones the store puts in ARNs.
func (s *Store) Region() string  { return s.region }
func (s *Store) Account() string { return s.account }

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
