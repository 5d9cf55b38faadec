package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPullGroupSharesOnePull(t *testing.T) {
	var g pullGroup
	var calls atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := g.do(context.Background(), "img:1", func(context.Context) error {
				calls.Add(1)
				<-release
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d pulls for 8 concurrent callers, want 1", n)
	}
}

func TestPullGroupCancelsWhenEveryWaiterLeaves(t *testing.T) {
	var g pullGroup
	cancelled := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	err := g.do(ctx, "img:1", func(pctx context.Context) error {
		<-pctx.Done()
		close(cancelled)
		return pctx.Err()
	})
	if err == nil {
		t.Fatal("want the caller's context error")
	}
	select {
	case <-cancelled:
	case <-time.After(2 * time.Second):
		t.Fatal("the shared pull kept running after its only waiter left")
	}
}

func TestEncodedAuthPerHost(t *testing.T) {
	r := &Runtime{}
	r.SetRegistryAuth(func(host string) (string, string, bool) {
		return "wharf-agent", "secret", host == "127.0.0.1:7150"
	})
	if got := r.encodedAuth("nginx:alpine"); got != "" {
		t.Fatalf("docker hub image got credentials %q", got)
	}
	enc := r.encodedAuth("127.0.0.1:7150/app/web:1")
	b, err := base64.URLEncoding.DecodeString(enc)
	var ac struct{ Username, Password, Serveraddress string }
	if err != nil || json.Unmarshal(b, &ac) != nil || ac.Username != "wharf-agent" || ac.Password != "secret" || ac.Serveraddress != "127.0.0.1:7150" {
		t.Fatalf("auth = %s (%v)", b, err)
	}
}
