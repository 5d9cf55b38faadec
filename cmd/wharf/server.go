package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharfhq/wharf/internal/server"
)

func defaultDataDir() string {
	if d := os.Getenv("WHARF_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "wharf")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "wharf")
	}
	return "wharf-data"
}

func newServerCmd(g *globalFlags) *cobra.Command {
	var (
		cfg       server.Config
		endpoints string
	)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the control plane: the AWS-compatible API, state and controllers",
		Long: `Run the wharf control plane.

Without --etcd-endpoints, state lives in an embedded single-node etcd under
--data-dir. With it, wharf uses that external etcd cluster and starts none;
several servers may then share one cluster.

The server stops cleanly on SIGINT or SIGTERM: in-flight requests finish and
etcd is closed.`,
		Example: `  wharf server
  wharf server --listen 127.0.0.1:8080 --data-dir /var/lib/wharf
  wharf server --etcd-endpoints http://10.0.0.1:2379,http://10.0.0.2:2379`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := g.logger()
			if err != nil {
				return err
			}
			cfg.Logger = logger
			for _, e := range strings.Split(endpoints, ",") {
				if e = strings.TrimSpace(e); e != "" {
					cfg.EtcdEndpoints = append(cfg.EtcdEndpoints, e)
				}
			}
			// The server keeps its state cache in memory: collect at 50 %
			// heap growth instead of Go's 100 % unless GOGC says otherwise
			// (the control plane's memory matters more than a little CPU).
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(50)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv, err := server.Start(ctx, cfg)
			if err != nil {
				return err
			}
			<-ctx.Done()
			logger.Info("shutting down")
			return srv.Shutdown(context.Background())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Listen, "listen", server.DefaultListen, "address of the API, registry and console port")
	f.StringVar(&cfg.DataDir, "data-dir", defaultDataDir(), "directory for state (embedded etcd) and local data")
	f.StringVar(&cfg.Region, "region", server.DefaultRegion, "AWS region reported in ARNs and endpoints")
	f.StringVar(&cfg.Account, "account", server.DefaultAccount, "AWS account id reported in ARNs")
	f.StringVar(&endpoints, "etcd-endpoints", "", "comma-separated external etcd endpoints (default: embedded etcd)")
	f.BoolVar(&cfg.LocalAgent, "local-agent", true, "run an in-process agent on the local Docker engine in every ACTIVE cluster")
	f.BoolVar(&cfg.LoadBalancer, "load-balancer", true, "run the load balancer data plane (wharf lb) as its own process, reusing a running one")
	f.StringSliceVar(&cfg.LocalAgentClusters, "local-agent-clusters", nil, "restrict the local agent to these clusters")
	f.DurationVar(&cfg.StoppedTaskRetention, "stopped-task-retention", time.Hour, "how long stopped tasks stay describable")
	f.StringVar(&cfg.Registry.Listen, "registry-listen", "", "extra address serving only the image registry (/v2/ is always on --listen)")
	f.StringVar(&cfg.Registry.Address, "registry-address", "", "host:port clients and agents pull images from (default: the registry's listen address)")
	f.BoolVar(&cfg.Registry.Auth, "registry-auth", false, "require docker login (ECR token or agent token) on the registry")
	f.BoolVar(&cfg.Registry.AutoCreate, "registry-auto-create", false, "create repositories on first push instead of refusing it as ECR does")
	f.BoolVar(&cfg.Registry.SparseManifests, "registry-sparse-manifests", false, "accept manifests whose blobs were not pushed")
	f.DurationVar(&cfg.Registry.GCInterval, "registry-gc-interval", time.Hour, "how often unreferenced registry blobs are deleted (negative: never)")
	f.DurationVar(&cfg.Registry.LifecycleInterval, "registry-lifecycle-interval", time.Hour, "how often ECR lifecycle policies are applied (negative: never)")
	f.DurationVar(&cfg.SourcePollInterval, "pipeline-source-poll-interval", time.Minute, "how often pipeline sources outside wharf (git URLs) are checked for new commits")
	f.StringVar(&cfg.AgentToken, "agent-token", os.Getenv("WHARF_AGENT_TOKEN"), "token agents authenticate with (default: generated into <data-dir>/agent-token)")
	return cmd
}
