// Package apitest owns the setup that tests of a single wharf API share:
// a quiet logger, the SDK configuration test clients use, a clock tests
// move by hand, and one or more API services mounted on a gateway served
// on loopback, over a state on embedded etcd.
//
// It must not import internal/server (nor anything that does): the tests
// of the API packages and of the pipeline providers import it, and the
// server imports those packages. Whole-server tests use wharftest, which
// builds on this package.
package apitest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/store"
)

// Region and Account are what AWSConfig and Start use when given none.
const (
	Region  = "us-east-1"
	Account = "000000000000"
)

// Logger returns a logger for code under test: silent unless
// WHARF_TEST_LOG is set, then debug-level text on stderr.
func Logger() *slog.Logger {
	if os.Getenv("WHARF_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// AWSConfig returns an SDK configuration with static test credentials for
// region (Region when empty). It retries only what the SDK's standard
// retryer calls transient (connection errors such as aws-sdk-go-v2#1825's
// "use of closed network connection" on a 200 response, 5xx, throttling),
// at most 3 attempts and without the client-side rate limit; 4xx errors
// reach the test at once. A client wanting fewer attempts sets its
// Options.RetryMaxAttempts.
func AWSConfig(region string) aws.Config {
	if region == "" {
		region = Region
	}
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDWHARFTEST", "secret", ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

// Clock is a time that tests move instead of sleeping. It is safe for
// concurrent use; its Now method is what state.Config.Now and the
// providers' Now fields take.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that stands at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Serve creates a gateway logging to logger, lets mount add services and
// paths to it (url is the address it will be served at, for services that
// hand out URLs), then serves it on a free 127.0.0.1 port until the test
// ends. It returns the base URL, "http://127.0.0.1:port".
func Serve(t testing.TB, logger *slog.Logger, mount func(gw *api.Gateway, url string)) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("apitest: listen: %v", err)
	}
	gw := api.NewGateway(logger)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: gw}}
	url := "http://" + l.Addr().String()
	if mount != nil {
		mount(gw, url)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// Config is what Start builds; the zero value is usable.
type Config struct {
	// Now is the state's clock, time.Now when nil (a Clock's Now method,
	// typically).
	Now func() time.Time
	// ARNs builds the state's ARNs; an empty Region or Account is Region
	// or Account.
	ARNs arn.Builder
	// Logger is for the store, the state, the gateway and the services;
	// Logger() when nil.
	Logger *slog.Logger
}

// Env is a state on embedded etcd and a gateway serving it.
type Env struct {
	Logger  *slog.Logger
	Store   *store.Store
	State   *state.State
	Gateway *api.Gateway
	// URL is the gateway's base URL, "http://127.0.0.1:port"; it is set
	// before mount runs.
	URL string
}

// Start opens an embedded etcd store in t.TempDir(), builds a state on it
// from cfg, creates a gateway and lets mount add services to it (e's State,
// Logger, Gateway and URL are set), and serves the gateway on a free
// 127.0.0.1 port. When the test ends the server is closed, then the
// state's context is cancelled and the store closed.
func Start(t testing.TB, cfg Config, mount func(e *Env)) *Env {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = Logger()
	}
	if cfg.ARNs.Region == "" {
		cfg.ARNs.Region = Region
	}
	if cfg.ARNs.Account == "" {
		cfg.ARNs.Account = Account
	}
	ctx, cancel := context.WithCancel(context.Background())
	kv, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), Logger: cfg.Logger})
	if err != nil {
		cancel()
		t.Fatalf("apitest: open store: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = kv.Close() })
	st, err := state.New(ctx, state.Config{Store: kv, ARNs: cfg.ARNs, Now: cfg.Now, Logger: cfg.Logger})
	if err != nil {
		t.Fatalf("apitest: state: %v", err)
	}
	e := &Env{Logger: cfg.Logger, Store: kv, State: st}
	Serve(t, cfg.Logger, func(gw *api.Gateway, url string) {
		e.Gateway, e.URL = gw, url
		if mount != nil {
			mount(e)
		}
	})
	return e
}
