package store

import (
	"errors"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestMapErr(t *testing.T) {
	tests := []struct {
		in   error
		want error
	}{
		{rpctypes.ErrCompacted, ErrCompacted},
		{rpctypes.ErrTimeout, ErrUnavailable},
		{rpctypes.ErrNoLeader, ErrUnavailable},
		{status.Error(codes.Unavailable, "connection refused"), ErrUnavailable},
		{status.Error(codes.DeadlineExceeded, "too slow"), ErrUnavailable},
	}
	for _, tt := range tests {
		if got := mapErr(tt.in); !errors.Is(got, tt.want) {
			t.Fatalf("mapErr(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	other := errors.New("boom")
	if got := mapErr(other); got != other || errors.Is(got, ErrUnavailable) {
		t.Fatalf("mapErr(other) = %v", got)
	}
}
