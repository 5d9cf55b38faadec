package logcapture

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharfhq/wharf/internal/runtime"
	"github.com/wharfhq/wharf/internal/runtime/fake"
)

func testLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startFake(t *testing.T, rt *fake.Runtime, name string, out ...fake.OutputLine) string {
	t.Helper()
	rt.AddImage("app:1")
	rt.SetContainerBehavior(name, fake.Behavior{Output: out})
	id, err := rt.Create(context.Background(), runtime.ContainerSpec{Name: name, Image: "app:1"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := rt.Start(context.Background(), id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return id
}

func run(c *Capturer, ctx context.Context, id string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Capture(ctx, id, "g", "s", time.Time{})
	}()
	return done
}

func waitFor(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Capture did not return")
	}
}

// recordingClient is a logsAPI that records batches and can refuse them.
type recordingClient struct {
	mu      sync.Mutex
	batches [][]string
	refuse  func(n int) error // error for the nth PutLogEvents, or nil
	puts    int
}

func (r *recordingClient) CreateLogGroup(context.Context, *cloudwatchlogs.CreateLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error) {
	return &cloudwatchlogs.CreateLogGroupOutput{}, nil
}

func (r *recordingClient) CreateLogStream(context.Context, *cloudwatchlogs.CreateLogStreamInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error) {
	return &cloudwatchlogs.CreateLogStreamOutput{}, nil
}

func (r *recordingClient) PutLogEvents(_ context.Context, in *cloudwatchlogs.PutLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.puts++
	if r.refuse != nil {
		if err := r.refuse(r.puts); err != nil {
			return nil, err
		}
	}
	var msgs []string
	for _, e := range in.LogEvents {
		msgs = append(msgs, aws.ToString(e.Message))
	}
	r.batches = append(r.batches, msgs)
	return &cloudwatchlogs.PutLogEventsOutput{}, nil
}

func (r *recordingClient) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.batches {
		out = append(out, strings.Join(b, ","))
	}
	return strings.Join(out, "|")
}

func TestCaptureDropsRefusedBatch(t *testing.T) {
	firstPut := make(chan struct{})
	rec := &recordingClient{refuse: func(n int) error {
		if n == 1 {
			close(firstPut)
			return &types.InvalidParameterException{Message: aws.String("bad batch")}
		}
		return nil
	}}
	rt := fake.New(fake.Options{Now: time.Now})
	c := newCapturer(rec, rt, testLogger())
	c.SetTimings(5*time.Millisecond, time.Millisecond, time.Millisecond)
	id := startFake(t, rt, "web", fake.OutputLine{Stream: runtime.Stdout, Text: "refused"})
	done := run(c, context.Background(), id)
	<-firstPut
	rt.WriteOutput(id, runtime.Stdout, "accepted")
	rt.Stop(context.Background(), id, time.Second)
	waitFor(t, done)
	if got := rec.all(); got != "accepted" {
		t.Fatalf("batches = %q, want the refused one dropped and the next shipped", got)
	}
}

// signallingRuntime tells the test each time the capturer has taken a
// line from the runtime.
type signallingRuntime struct {
	*fake.Runtime
	taken chan struct{}
}

func (r signallingRuntime) Logs(ctx context.Context, id string, opts runtime.LogOptions) (<-chan runtime.LogLine, error) {
	in, err := r.Runtime.Logs(ctx, id, opts)
	if err != nil {
		return nil, err
	}
	out := make(chan runtime.LogLine)
	go func() {
		defer close(out)
		for l := range in {
			select {
			case out <- l:
				r.taken <- struct{}{}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func TestCaptureFlushesAfterCancel(t *testing.T) {
	rec := &recordingClient{}
	rt := signallingRuntime{Runtime: fake.New(fake.Options{Now: time.Now}), taken: make(chan struct{}, 2)}
	c := newCapturer(rec, rt, testLogger())
	c.flushInterval = time.Hour // only the end of the capture ships
	id := startFake(t, rt.Runtime, "web", fake.OutputLine{Stream: runtime.Stdout, Text: "a"}, fake.OutputLine{Stream: runtime.Stdout, Text: "b"})
	ctx, cancel := context.WithCancel(context.Background())
	done := run(c, ctx, id)
	<-rt.taken
	<-rt.taken
	cancel() // the container still runs
	waitFor(t, done)
	if got := rec.all(); got != "a,b" {
		t.Fatalf("batches after cancel = %q, want a,b", got)
	}
}
