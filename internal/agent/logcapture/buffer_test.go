package logcapture

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func texts(batch []types.InputLogEvent) string {
	var s []string
	for _, e := range batch {
		s = append(s, aws.ToString(e.Message))
	}
	return strings.Join(s, ",")
}

func TestBufferDropsOldest(t *testing.T) {
	b := newBuffer(3)
	for _, s := range []string{"1", "2", "3", "4", "5"} {
		b.push(t0, s)
	}
	if b.droppedCount() != 2 || b.pending() != 3 {
		t.Fatalf("dropped %d, pending %d", b.droppedCount(), b.pending())
	}
	if got := texts(b.take()); got != "3,4,5" {
		t.Fatalf("take = %s", got)
	}
	if b.take() != nil || b.bytes != 0 {
		t.Fatalf("buffer not empty: %d bytes", b.bytes)
	}
}

func TestBufferBatchLimits(t *testing.T) {
	tests := []struct {
		name  string
		push  func(b *buffer)
		sizes []int
	}{
		{"count", func(b *buffer) {
			for range maxBatchEvents + 5 {
				b.push(t0, "x")
			}
		}, []int{maxBatchEvents, 5}},
		{"bytes", func(b *buffer) {
			big := strings.Repeat("x", 200<<10)
			for range 6 {
				b.push(t0, big)
			}
		}, []int{5, 1}},
		{"24 hours", func(b *buffer) {
			b.push(t0, "a")
			b.push(t0.Add(24*time.Hour), "b")
			b.push(t0.Add(24*time.Hour+time.Millisecond), "c")
		}, []int{2, 1}},
		{"empty lines skipped", func(b *buffer) {
			b.push(t0, "")
			b.push(t0, "a")
		}, []int{1}},
	}
	for _, tt := range tests {
		b := newBuffer(100000)
		tt.push(b)
		var sizes []int
		for batch := b.take(); batch != nil; batch = b.take() {
			sizes = append(sizes, len(batch))
		}
		if len(sizes) != len(tt.sizes) {
			t.Fatalf("%s: batch sizes %v, want %v", tt.name, sizes, tt.sizes)
		}
		for i := range sizes {
			if sizes[i] != tt.sizes[i] {
				t.Fatalf("%s: batch sizes %v, want %v", tt.name, sizes, tt.sizes)
			}
		}
	}
}

func TestBufferChronologicalAndTruncated(t *testing.T) {
	b := newBuffer(10)
	b.push(t0.Add(time.Second), "later")
	b.push(t0, "earlier")                                           // clock went back: takes the previous timestamp
	b.push(t0.Add(time.Second), strings.Repeat("é", maxEventBytes)) // 2 bytes each
	batch := b.take()
	if *batch[1].Timestamp != t0.Add(time.Second).UnixMilli() {
		t.Fatalf("timestamps %d, %d", *batch[0].Timestamp, *batch[1].Timestamp)
	}
	msg := aws.ToString(batch[2].Message)
	if len(msg) > maxEventBytes || !strings.HasSuffix(msg, "é") {
		t.Fatalf("truncated message has %d bytes, ends in %q", len(msg), msg[len(msg)-2:])
	}
}
