// Command hello is the example app of wharf's quickstart: a web server that
// says which version it is. The version is set at build time:
//
//	go build -ldflags "-X main.version=3f2c1ab" -o app .
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// version is replaced by -ldflags "-X main.version=...".
var version = "dev"

// healthcheck GETs url: 0 on a 200, 1 otherwise.
func healthcheck(url string) int {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, url+":", resp.Status)
		return 1
	}
	return 0
}

// newHandler serves GET / and GET /healthz.
func newHandler(version string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", version)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func main() {
	addr := ":8080"
	if a := os.Getenv("ADDR"); a != "" {
		addr = a
	}
	// "app healthcheck" is the container health check of taskdef.json: the
	// image has no shell and no curl.
	if len(os.Args) == 2 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck("http://127.0.0.1" + addr[strings.LastIndex(addr, ":"):] + "/healthz"))
	}
	srv := &http.Server{Addr: addr, Handler: newHandler(version), ReadHeaderTimeout: 5 * time.Second}

	// ECS stops a task with SIGTERM, then SIGKILL after the stop timeout
	// (30 s): finish the requests in flight and exit before that.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("hello %s listening on %s", version, addr)

	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	log.Print("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
