package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharfhq/wharf/internal/version"
)

type globalFlags struct {
	logLevel  string
	logFormat string
}

func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "wharf",
		Short: "Self-hosted Docker builds, ECS-style services and pipelines",
		Long: `wharf runs on your own machines what Docker + Amazon ECS + AWS CodePipeline do on AWS.

It speaks the AWS wire protocols, so the AWS CLI and SDKs work against it:

  wharf server                                   # start the control plane (embedded etcd)
  aws --endpoint-url http://127.0.0.1:7150 ecs list-clusters`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.AddCommand(newServerCmd(g), newAgentCmd(g), newLogsCmd(g), newRegistryCmd(g), newPauseCmd(), newVersionCmd())
	root.AddCommand(newDeployCmd(), newServicesCmd(), newPsCmd())
	root.AddCommand(newLBCmd(g), newBuildCmd(), newPipelineCmd())
	return root
}

func (g *globalFlags) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(g.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format must be text or json, not %q", g.logFormat)
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the wharf version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "wharf", version.String())
		},
	}
}
