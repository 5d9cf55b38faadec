package logcapture_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/wharfhq/wharf/internal/agent/logcapture"
	"github.com/wharfhq/wharf/internal/runtime"
	"github.com/wharfhq/wharf/internal/runtime/fake"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// fastCapturer is a Capturer with test-sized intervals.
func fastCapturer(client *cloudwatchlogs.Client, rt runtime.Runtime) *logcapture.Capturer {
	c := logcapture.New(client, rt, wharftest.Logger())
	c.SetTimings(20*time.Millisecond, 5*time.Millisecond, 50*time.Millisecond)
	return c
}

// startContainer runs a fake container printing out at start.
func startContainer(t *testing.T, rt *fake.Runtime, name string, out ...fake.OutputLine) string {
	t.Helper()
	rt.AddImage("app:1")
	rt.SetContainerBehavior(name, fake.Behavior{Output: out})
	ctx := context.Background()
	id, err := rt.Create(ctx, runtime.ContainerSpec{Name: name, Image: "app:1"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := rt.Start(ctx, id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return id
}

// capture runs Capture in the background; the returned channel closes
// when it returns.
func capture(c *logcapture.Capturer, ctx context.Context, id, group, stream string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Capture(ctx, id, group, stream, time.Time{})
	}()
	return done
}

func waitDone(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Capture did not return after the container exited")
	}
}

func readAll(t *testing.T, client *cloudwatchlogs.Client, group, stream string) []string {
	t.Helper()
	out, err := client.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetLogEvents: %v", err)
	}
	var msgs []string
	for _, e := range out.Events {
		msgs = append(msgs, aws.ToString(e.Message))
	}
	return msgs
}

func TestCaptureShipsContainerOutput(t *testing.T) {
	srv := wharftest.Start(t)
	client := wharftest.Logs(srv.URL())
	rt := fake.New(fake.Options{Now: time.Now})
	id := startContainer(t, rt, "web",
		fake.OutputLine{Stream: runtime.Stdout, Text: "starting"},
		fake.OutputLine{Stream: runtime.Stderr, Text: "warning: on stderr"})
	done := capture(fastCapturer(client, rt), context.Background(), id, "/ecs/web", "web/app/task1")
	var want []string
	want = append(want, "starting", "warning: on stderr")
	for i := range 50 {
		line := fmt.Sprintf("request %d", i)
		if err := rt.WriteOutput(id, runtime.Stdout, line); err != nil {
			t.Fatal(err)
		}
		want = append(want, line)
	}
	rt.WriteOutput(id, runtime.Stdout, "") // skipped: CloudWatch refuses empty messages
	rt.WriteOutput(id, runtime.Stderr, "last words")
	want = append(want, "last words")
	if err := rt.Stop(context.Background(), id, time.Second); err != nil {
		t.Fatal(err)
	}
	waitDone(t, done)
	got := readAll(t, client, "/ecs/web", "web/app/task1")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("shipped %d events:\n%s\nwant %d:\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
	// A second container into the existing group: no error on the group.
	id2 := startContainer(t, rt, "web2", fake.OutputLine{Stream: runtime.Stdout, Text: "second task"})
	done = capture(fastCapturer(client, rt), context.Background(), id2, "/ecs/web", "web/app/task2")
	rt.Stop(context.Background(), id2, time.Second)
	waitDone(t, done)
	if got := readAll(t, client, "/ecs/web", "web/app/task2"); len(got) != 1 || got[0] != "second task" {
		t.Fatalf("second stream = %v", got)
	}
}

// flakyProxy forwards to target, except that while failing it answers
// the first requests by dropping the connection and then with 503s.
type flakyProxy struct {
	proxy    *httputil.ReverseProxy
	drops    atomic.Int32 // connections still to drop
	failures atomic.Int32 // 503s still to answer
	seen     atomic.Int32
}

func (p *flakyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.seen.Add(1)
	if p.drops.Add(-1) >= 0 {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	if p.failures.Add(-1) >= 0 {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"__type":"ServiceUnavailableException","message":"try later"}`)
		return
	}
	p.proxy.ServeHTTP(w, r)
}

func TestCaptureRetriesWhileServerUnreachable(t *testing.T) {
	srv := wharftest.Start(t)
	target, _ := url.Parse(srv.URL())
	fp := &flakyProxy{proxy: httputil.NewSingleHostReverseProxy(target)}
	fp.drops.Store(3)
	fp.failures.Store(3)
	proxy := httptest.NewServer(fp)
	t.Cleanup(proxy.Close)

	rt := fake.New(fake.Options{Now: time.Now})
	id := startContainer(t, rt, "web", fake.OutputLine{Stream: runtime.Stdout, Text: "line 0"})
	done := capture(fastCapturer(wharftest.Logs(proxy.URL), rt), context.Background(), id, "/ecs/web", "s")
	for i := 1; i < 5; i++ {
		rt.WriteOutput(id, runtime.Stdout, fmt.Sprintf("line %d", i))
	}
	rt.Stop(context.Background(), id, time.Second)
	waitDone(t, done)
	if fp.drops.Load() >= 0 || fp.failures.Load() >= 0 {
		t.Fatalf("the proxy failed fewer requests than planned (%d drops, %d failures left)", fp.drops.Load(), fp.failures.Load())
	}
	got := readAll(t, wharftest.Logs(srv.URL()), "/ecs/web", "s")
	if strings.Join(got, ",") != "line 0,line 1,line 2,line 3,line 4" {
		t.Fatalf("shipped %v", got)
	}
}
