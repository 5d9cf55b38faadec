package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharfhq/wharf/internal/lb"
)

func newLBCmd(g *globalFlags) *cobra.Command {
	var serverURL, token, tokenFile, stateDir, adminListen, accessLog string
	var drainTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "lb",
		Short: "Run the load balancer data plane (ALB listeners, health checks, draining)",
		Long: `Run the load balancer data plane.

wharf lb binds the listeners of every load balancer the server knows and
proxies HTTP to healthy targets. It long-polls the server for its
configuration, saves each one to --state-dir/config.json and reports target
health back. It does not need the server to keep serving: on start it serves
the saved configuration at once, and while the server is unreachable it keeps
serving and health-checking the last one.

Only one instance runs per state directory: it holds an flock on
--state-dir/lb.lock (holding its pid) for its whole life; the server checks
that lock and reuses a running instance instead of starting another.

SIGTERM or SIGINT: listeners stop accepting, in-flight requests finish (up to
--drain-timeout), then the process exits.`,
		Example: `  wharf lb --server http://127.0.0.1:7150 --token-file /var/lib/wharf/agent-token --state-dir /var/lib/wharf/lb
  wharf lb --server http://10.0.0.1:7150 --token T --state-dir ./lb --admin-listen 127.0.0.1:7160`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := g.logger()
			if err != nil {
				return err
			}
			if token == "" && tokenFile != "" {
				buf, err := os.ReadFile(tokenFile)
				if err != nil {
					return fmt.Errorf("--token-file: %w", err)
				}
				token = strings.TrimSpace(string(buf))
			}
			if token == "" {
				return fmt.Errorf("a token is required: --token or --token-file (the server keeps it in <data-dir>/agent-token)")
			}
			if stateDir == "" {
				return fmt.Errorf("--state-dir is required")
			}
			lock, err := lb.AcquireLock(stateDir)
			if err != nil {
				return err
			}
			defer lock.Release()

			var alog io.Writer
			switch accessLog {
			case "":
			case "-":
				alog = os.Stdout
			default:
				f, err := os.OpenFile(accessLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
				if err != nil {
					return fmt.Errorf("--access-log: %w", err)
				}
				defer f.Close()
				alog = f
			}

			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			bal := lb.New(lb.Options{Logger: logger, AccessLog: alog, DrainTimeout: drainTimeout})
			feed := lb.NewFeed(lb.FeedOptions{ServerURL: serverURL, Token: token, StateDir: stateDir, Balancer: bal, Logger: logger})
			if _, err := feed.LoadSaved(); err != nil {
				logger.Warn("ignoring the saved configuration", "file", filepath.Join(stateDir, lb.ConfigFile), "err", err)
			}

			var admin *http.Server
			if adminListen != "" {
				ln, err := net.Listen("tcp", adminListen)
				if err != nil {
					bal.Close()
					return fmt.Errorf("--admin-listen: %w", err)
				}
				admin = &http.Server{Handler: bal.AdminHandler(), ReadHeaderTimeout: 10 * time.Second}
				go func() {
					if err := admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
						logger.Error("admin listener", "err", err)
					}
				}()
				logger.Info("admin listener", "addr", ln.Addr().String())
			}
			logger.Info("wharf lb started", "server", serverURL, "stateDir", stateDir, "pid", os.Getpid())
			err = feed.Run(ctx)
			logger.Info("stopping: draining listeners", "timeout", drainTimeout)
			if admin != nil {
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = admin.Shutdown(sctx)
				cancel()
			}
			return errors.Join(err, bal.Close())
		},
	}
	f := cmd.Flags()
	f.StringVar(&serverURL, "server", "http://127.0.0.1:7150", "URL of the wharf server")
	f.StringVar(&token, "token", os.Getenv("WHARF_AGENT_TOKEN"), "token for the server's lb API (default $WHARF_AGENT_TOKEN)")
	f.StringVar(&tokenFile, "token-file", "", "file holding the token")
	f.StringVar(&stateDir, "state-dir", defaultDataDir()+"/lb", "directory for the saved configuration and the instance lock")
	f.StringVar(&adminListen, "admin-listen", "", "address for GET /metrics, /health and /healthz (e.g. 127.0.0.1:7160); off when empty")
	f.StringVar(&accessLog, "access-log", "", `access log file ("-" for stdout); off when empty`)
	f.DurationVar(&drainTimeout, "drain-timeout", 30*time.Second, "how long shutdown waits for in-flight requests")
	return cmd
}
