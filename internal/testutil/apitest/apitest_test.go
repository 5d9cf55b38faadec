package apitest_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/testutil/apitest"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	c := apitest.NewClock(t0)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Second); _ = c.Now() })
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("Now = %v", got)
	}
	c.Set(t0)
	if !c.Now().Equal(t0) {
		t.Fatalf("after Set: %v", c.Now())
	}
}

func TestAWSConfig(t *testing.T) {
	cfg := apitest.AWSConfig("")
	if cfg.Region != apitest.Region {
		t.Fatalf("region %q", cfg.Region)
	}
	if n := cfg.Retryer().MaxAttempts(); n != 3 {
		t.Fatalf("MaxAttempts = %d", n)
	}
	if cfg := apitest.AWSConfig("eu-west-1"); cfg.Region != "eu-west-1" {
		t.Fatalf("region %q", cfg.Region)
	}
}

func TestServe(t *testing.T) {
	var mounted string
	url := apitest.Serve(t, apitest.Logger(), func(gw *api.Gateway, url string) {
		mounted = url
		gw.Handle("/hello", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hi") }))
	})
	if url != mounted || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("url %q, mount saw %q", url, mounted)
	}
	resp, err := http.Get(url + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); string(b) != "hi" {
		t.Fatalf("body %q", b)
	}
}

func TestStart(t *testing.T) {
	c := apitest.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	var seen *apitest.Env
	e := apitest.Start(t, apitest.Config{Now: c.Now}, func(e *apitest.Env) { seen = e })
	if seen != e || e.State == nil || e.Store == nil || e.Gateway == nil || e.Logger == nil ||
		!strings.HasPrefix(e.URL, "http://127.0.0.1:") {
		t.Fatalf("env %+v (mount saw %p)", e, seen)
	}
}
