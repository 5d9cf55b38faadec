package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/spf13/cobra"
)

func newLogsBuildCmd() *cobra.Command {
	var (
		endpoint string
		follow   bool
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "build BUILD_ID",
		Short: "Print a build's log",
		Long: `Print the log of a CodeBuild build (BUILD_ID is PROJECT:UUID, as
"wharf build start" and StartBuild return it), read from the log group
/aws/codebuild/PROJECT, stream UUID. With --follow, new lines are printed
as they are written until the build completes, or until Ctrl-C.`,
		Example: `  wharf logs build hello:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 -f`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err := followBuildLog(ctx, endpoint, args[0], follow, interval, cmd.OutOrStdout())
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			return err
		},
	}
	addEndpointFlag(cmd, &endpoint)
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines until the build completes")
	cmd.Flags().DurationVar(&interval, "poll-interval", 500*time.Millisecond, "how often --follow asks for new lines")
	return cmd
}

func followBuildLog(ctx context.Context, endpoint, id string, follow bool, interval time.Duration, w interface{ Write([]byte) (int, error) }) error {
	cb := codebuildClient(endpoint)
	logs := cloudwatchlogs.NewFromConfig(cliAWSConfig(), func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(endpoint) })
	var target *logTarget
	complete := false
	for {
		out, err := cb.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{id}})
		if err != nil {
			return friendlyError("BatchGetBuilds", err)
		}
		if len(out.Builds) == 0 {
			return fmt.Errorf("build %s not found (ids look like PROJECT:UUID; list them with aws codebuild list-builds)", id)
		}
		b := out.Builds[0]
		if b.Logs == nil || aws.ToString(b.Logs.GroupName) == "" {
			return fmt.Errorf("build %s keeps no CloudWatch log (logsConfig is disabled)", id)
		}
		if target == nil {
			target = &logTarget{group: aws.ToString(b.Logs.GroupName), stream: aws.ToString(b.Logs.StreamName)}
		}
		wasComplete := complete
		complete = b.BuildComplete
		evs, err := fetchNew(ctx, logs, target)
		if err != nil {
			return err
		}
		for _, e := range evs {
			fmt.Fprintln(w, aws.ToString(e.Message))
		}
		// One more round after completion: the last lines may be in flight.
		if !follow || (wasComplete && len(evs) == 0) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
