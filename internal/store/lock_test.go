package store_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/store"
)

func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	first := openEmbedded(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second, err := store.Open(ctx, store.Config{DataDir: dir, Logger: quietLogger()})
	if err == nil {
		second.Close()
		first.Close()
		t.Fatalf("second Open on a locked data directory succeeded")
	}
	want := fmt.Sprintf("data directory %s is in use by another wharf server (pid %d)", dir, os.Getpid())
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("second Open err = %q, want it to contain %q", err, want)
	}

	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	second = openEmbedded(t, dir)
	if err := second.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
