package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wharfhq/wharf/internal/agent"
	"github.com/wharfhq/wharf/internal/runtime/docker"
	"github.com/wharfhq/wharf/internal/server"
)

func newAgentCmd(g *globalFlags) *cobra.Command {
	var serverURL, cluster, token, tokenFile, dataDir, region, hostAddress string
	var registryHosts []string
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a container instance agent that joins a wharf server",
		Long: `Run an instance agent on this host's Docker engine.

The agent registers a container instance in --cluster, receives the tasks
placed on it, runs them as containers and reports their state. It talks
only to the server's API, authenticated with the server's agent token
(printed by the server's data directory file agent-token).

Stopping the agent leaves running containers alone; a restarted agent
adopts them and never starts a second copy of a running task.`,
		Example: `  wharf agent --server http://10.0.0.1:7150 --cluster prod --token-file /etc/wharf/agent-token`,
		Args:    cobra.NoArgs,
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
				return fmt.Errorf("an agent token is required: --token or --token-file (the server keeps it in <data-dir>/agent-token)")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			rt, err := docker.New(docker.Options{Logger: logger})
			if err != nil {
				return err
			}
			cfg, err := server.AgentTemplate(ctx, server.AgentSetup{
				ServerURL: strings.TrimRight(serverURL, "/"), Token: token, Region: region,
				DataDir: dataDir, Runtime: rt, Logger: logger, RegistryHosts: registryHosts,
			})
			if err != nil {
				return err
			}
			cfg.Cluster = cluster
			cfg.HostAddress = hostAddress
			return agent.New(cfg).Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&serverURL, "server", "http://127.0.0.1:7150", "URL of the wharf server")
	f.StringVar(&cluster, "cluster", "default", "cluster to join")
	f.StringVar(&token, "token", os.Getenv("WHARF_AGENT_TOKEN"), "agent token (default $WHARF_AGENT_TOKEN)")
	f.StringVar(&tokenFile, "token-file", "", "file holding the agent token")
	f.StringVar(&dataDir, "data-dir", defaultDataDir()+"-agent", "directory for the agent's identity")
	f.StringVar(&region, "region", server.DefaultRegion, "AWS region of the server")
	f.StringVar(&hostAddress, "host-address", "127.0.0.1", "address at which other hosts and load balancers reach this host's published ports")
	f.StringSliceVar(&registryHosts, "registry", nil, "extra host:port names of the server's registry that get the agent token as pull credentials (the --server host always does)")
	return cmd
}

// newPauseCmd is the process of awsvpc pause containers: it holds a task's
// network namespace and does nothing until it is told to stop.
func newPauseCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "pause",
		Short:  "Hold a task's network namespace (runs inside pause containers)",
		Hidden: true,
		Args:   cobra.NoArgs,
		Run:    func(*cobra.Command, []string) { pause() },
	}
}

func pause() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}
