// Command testapp is the container wharf's Docker tests run. It is a static,
// stdlib-only binary meant for a FROM-scratch image (see
// internal/testutil/dockertest), configured entirely by environment:
//
//	LISTEN             address to serve HTTP on, e.g. ":8080"
//	                   GET /       → 200 "hello from <HOSTNAME> <VERSION>"
//	                   GET /health → status HEALTH_STATUS (default 200), or the
//	                                 status written in the file HEALTH_FILE
//	                                 (re-read on every request; 503 if missing)
//	EXIT_AFTER         exit after this duration (e.g. "2s", "0s") with EXIT_CODE
//	EXIT_CODE          exit code for EXIT_AFTER (default 0)
//	PRINT_LINES        print "line 1" … "line N" to stdout,
//	PRINT_INTERVAL     one every PRINT_INTERVAL (default: all at once, before
//	                   anything else happens)
//	STDERR_TEXT        printed to stderr at start
//	SIGTERM_EXIT_CODE  exit code after a SIGTERM/SIGINT/SIGQUIT/SIGHUP (default 0)
//	SIGTERM_DELAY      wait this long after the signal before exiting
//	IGNORE_SIGTERM     "1": print the signal but keep running
//
// Without EXIT_AFTER it runs until signalled. On a signal it prints
// "got SIGTERM" (or the signal's name).
//
// Scratch images have no shell or curl, so the binary is also its own health
// probe: `testapp healthcheck http://127.0.0.1:8080/health` exits 0 on a 2xx
// answer and 1 otherwise.
package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(os.Args[2:]))
	}
	os.Exit(run())
}

func healthcheck(args []string) int {
	url := "http://127.0.0.1:8080/health"
	if len(args) > 0 {
		url = args[0]
	}
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	fmt.Println("healthcheck:", resp.Status)
	if resp.StatusCode/100 != 2 {
		return 1
	}
	return 0
}

func run() int {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP)

	if s := os.Getenv("STDERR_TEXT"); s != "" {
		fmt.Fprintln(os.Stderr, s)
	}
	if addr := os.Getenv("LISTEN"); addr != "" {
		if err := serve(addr); err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			return 2
		}
	}
	if n := envInt("PRINT_LINES", 0); n > 0 {
		interval := envDuration("PRINT_INTERVAL", 0)
		printLines := func() {
			for i := 1; i <= n; i++ {
				fmt.Printf("line %d\n", i)
				if interval > 0 && i < n {
					time.Sleep(interval)
				}
			}
		}
		if interval == 0 {
			printLines() // all lines are out before EXIT_AFTER can fire
		} else {
			go printLines()
		}
	}
	var exit <-chan time.Time
	if os.Getenv("EXIT_AFTER") != "" {
		exit = time.After(envDuration("EXIT_AFTER", 0))
	}
	for {
		select {
		case <-exit:
			code := envInt("EXIT_CODE", 0)
			fmt.Printf("exiting with code %d\n", code)
			return code
		case sig := <-signals:
			name := signalName(sig)
			if os.Getenv("IGNORE_SIGTERM") == "1" {
				fmt.Printf("got %s, ignoring it\n", name)
				continue
			}
			fmt.Printf("got %s\n", name)
			time.Sleep(envDuration("SIGTERM_DELAY", 0))
			return envInt("SIGTERM_EXIT_CODE", 0)
		}
	}
}

func serve(addr string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		host, _ := os.Hostname()
		fmt.Fprintf(w, "hello from %s %s\n", host, os.Getenv("VERSION"))
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		status := healthStatus()
		w.WriteHeader(status)
		fmt.Fprintln(w, http.StatusText(status))
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "serve:", err)
		}
	}()
	return nil
}

func healthStatus() int {
	if path := os.Getenv("HEALTH_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return http.StatusServiceUnavailable
		}
		if code, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return code
		}
		return http.StatusInternalServerError
	}
	return envInt("HEALTH_STATUS", http.StatusOK)
}

func envInt(key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q is not an integer; using %d\n", key, v, def)
		return def
	}
	return n
}

func envDuration(key string, def time.Duration) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q is not a duration; using %s\n", key, v, def)
		return def
	}
	return d
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}
