package registry

import (
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// accessLog remembers when blobs were last read, uploaded or mounted, so
// that garbage collection spares a blob a client is about to reference
// (docker push checks that a layer exists, then pushes the manifest).
type accessLog struct {
	mu   sync.Mutex
	seen map[digest.Digest]time.Time
	now  func() time.Time
}

func newAccessLog(now func() time.Time) *accessLog {
	return &accessLog{seen: map[digest.Digest]time.Time{}, now: now}
}

func (a *accessLog) touch(d digest.Digest) {
	a.mu.Lock()
	a.seen[d] = a.now()
	a.mu.Unlock()
}

// recent reports whether d was touched after since.
func (a *accessLog) recent(d digest.Digest, since time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.seen[d]
	return ok && t.After(since)
}

// prune forgets entries older than before.
func (a *accessLog) prune(before time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for d, t := range a.seen {
		if t.Before(before) {
			delete(a.seen, d)
		}
	}
}
