package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
)

// RegistryAuth returns the credentials to pull from a registry host
// ("127.0.0.1:7150"), ok=false for none.
type RegistryAuth func(host string) (user, pass string, ok bool)

// SetRegistryAuth sets (or, with nil, clears) the credentials source used
// by Pull. Agents use it for the wharf server's registry.
func (r *Runtime) SetRegistryAuth(fn RegistryAuth) {
	r.authMu.Lock()
	r.auth = fn
	r.authMu.Unlock()
}

// encodedAuth is the X-Registry-Auth value for image, "" when none.
func (r *Runtime) encodedAuth(image string) string {
	r.authMu.RLock()
	fn := r.auth
	r.authMu.RUnlock()
	if fn == nil {
		return ""
	}
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return ""
	}
	host := reference.Domain(named)
	user, pass, ok := fn(host)
	if !ok {
		return ""
	}
	b, err := json.Marshal(registry.AuthConfig{Username: user, Password: pass, ServerAddress: host})
	if err != nil {
		return ""
	}
	return base64.URLEncoding.EncodeToString(b)
}

// pullGroup makes concurrent pulls of one image share a single pull: the
// first caller starts it, later ones wait for its result. The shared pull
// runs until it finishes or every waiter has given up.
type pullGroup struct {
	mu    sync.Mutex
	calls map[string]*pullCall
}

type pullCall struct {
	done    chan struct{}
	err     error
	waiters int
	cancel  context.CancelFunc
}

// do runs fn once for key among concurrent callers.
func (g *pullGroup) do(ctx context.Context, key string, fn func(context.Context) error) error {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[string]*pullCall{}
	}
	c, ok := g.calls[key]
	if !ok {
		pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &pullCall{done: make(chan struct{}), cancel: cancel}
		g.calls[key] = c
		go func() {
			c.err = fn(pctx)
			cancel()
			g.mu.Lock()
			delete(g.calls, key)
			g.mu.Unlock()
			close(c.done)
		}()
	}
	c.waiters++
	g.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		g.mu.Lock()
		if c.waiters--; c.waiters == 0 {
			c.cancel()
		}
		g.mu.Unlock()
		return ctx.Err()
	}
}
