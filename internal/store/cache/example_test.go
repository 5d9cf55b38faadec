package cache_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/wharfhq/wharf/internal/store"
	"github.com/wharfhq/wharf/internal/store/cache"
)

// A write through the store followed by WaitForRevision is visible in the
// cache: read-your-writes.
func Example() {
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DataDir: "/var/lib/wharf", Logger: slog.Default()})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	c := cache.New(s, slog.Default())
	c.Register("services/", cache.JSONDecoder[service]())
	if err := c.Start(ctx); err != nil {
		panic(err)
	}

	b, err := store.JSONCodec[service]{}.Encode(service{Name: "web", Count: 3})
	if err != nil {
		panic(err)
	}
	rev, err := s.Put(ctx, "services/web", b)
	if err != nil {
		panic(err)
	}
	if err := c.WaitForRevision(ctx, rev); err != nil {
		panic(err)
	}
	svc, _, _ := cache.Typed[service](c, "services/web")
	fmt.Println(svc.Count)
}
