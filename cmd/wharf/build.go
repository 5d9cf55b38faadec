package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/spf13/cobra"
)

func newBuildCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Start, watch and stop CodeBuild builds",
	}
	cmd.AddCommand(newBuildStartCmd(), newBuildStopCmd())
	return cmd
}

type buildFlags struct {
	endpoint      string
	sourceVersion string
	env           []string
	buildspec     string
	watch         bool
	logs          bool
	interval      time.Duration
}

func newBuildStartCmd() *cobra.Command {
	var fl buildFlags
	cmd := &cobra.Command{
		Use:   "start PROJECT",
		Short: "Start a build of a project and optionally watch it to the end",
		Long: `Start a build of a CodeBuild project (StartBuild) and print its id.

With --watch, the build's phases are printed as they pass, and the command
exits 0 when the build SUCCEEDED, 3 when it FAILED, FAULTed, TIMED_OUT or
was STOPPED. --logs also prints the build's log as it is written. Ctrl-C
stops watching; the build goes on (stop it with "wharf build stop ID").`,
		Example: `  wharf build start hello --watch
  wharf build start hello --source-version v2 --env IMAGE_TAG=v2 --watch --logs`,
		Args: cobra.ExactArgs(1),
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			return runBuildStart(cmd, args[0], &fl)
		}),
	}
	f := cmd.Flags()
	addEndpointFlag(cmd, &fl.endpoint)
	f.StringVar(&fl.sourceVersion, "source-version", "", "commit, branch or tag to build (sourceVersion)")
	f.StringArrayVar(&fl.env, "env", nil, "NAME=VALUE environment variable override (repeatable)")
	f.StringVar(&fl.buildspec, "buildspec", "", "buildspec override: a path in the source or inline YAML")
	f.BoolVarP(&fl.watch, "watch", "w", false, "print the phases until the build completes")
	f.BoolVar(&fl.logs, "logs", false, "with --watch, also print the build log")
	f.DurationVar(&fl.interval, "poll-interval", 500*time.Millisecond, "how often --watch asks for progress")
	cmd.SetFlagErrorFunc(exitOnFlagError)
	return cmd
}

func newBuildStopCmd() *cobra.Command {
	var endpoint string
	cmd := &cobra.Command{
		Use:   "stop BUILD_ID",
		Short: "Stop a running build (StopBuild)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := codebuildClient(endpoint)
			out, err := c.StopBuild(cmd.Context(), &codebuild.StopBuildInput{Id: aws.String(args[0])})
			if err != nil {
				return friendlyError("StopBuild", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", aws.ToString(out.Build.Id), out.Build.BuildStatus)
			return nil
		},
	}
	addEndpointFlag(cmd, &endpoint)
	return cmd
}

func codebuildClient(endpoint string) *codebuild.Client {
	return codebuild.NewFromConfig(cliAWSConfig(), func(o *codebuild.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

func runBuildStart(cmd *cobra.Command, project string, fl *buildFlags) error {
	in := &codebuild.StartBuildInput{ProjectName: aws.String(project)}
	if fl.sourceVersion != "" {
		in.SourceVersion = aws.String(fl.sourceVersion)
	}
	if fl.buildspec != "" {
		in.BuildspecOverride = aws.String(fl.buildspec)
	}
	for _, kv := range fl.env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return usageErrorf("--env %q: want NAME=VALUE", kv)
		}
		in.EnvironmentVariablesOverride = append(in.EnvironmentVariablesOverride, cbtypes.EnvironmentVariable{
			Name: aws.String(name), Value: aws.String(value), Type: cbtypes.EnvironmentVariableTypePlaintext,
		})
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := codebuildClient(fl.endpoint)
	out, err := c.StartBuild(ctx, in)
	if err != nil {
		return friendlyError("StartBuild", err)
	}
	id := aws.ToString(out.Build.Id)
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Started build %s (#%d)\n", id, aws.ToInt64(out.Build.BuildNumber))
	if !fl.watch {
		return nil
	}
	fmt.Fprintf(w, "Logs: wharf logs build %s -f\n", id)
	bw := &buildWatch{cb: c, id: id, out: w, interval: fl.interval}
	if fl.logs {
		bw.logs = cloudwatchlogs.NewFromConfig(cliAWSConfig(), func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(fl.endpoint) })
	}
	b, err := bw.run(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			fmt.Fprintf(w, "Stopped watching; the build goes on (wharf build stop %s)\n", id)
			return &exitCodeError{code: exitInterrupted, err: err, reported: true}
		}
		return err
	}
	if b.BuildStatus != cbtypes.StatusTypeSucceeded {
		return &exitCodeError{code: exitFailed, err: fmt.Errorf("build %s %s%s", id, b.BuildStatus, failureHint(b))}
	}
	return nil
}

// failureHint names the first failed phase and its context.
func failureHint(b cbtypes.Build) string {
	for _, p := range b.Phases {
		switch p.PhaseStatus {
		case cbtypes.StatusTypeFailed, cbtypes.StatusTypeFault, cbtypes.StatusTypeTimedOut:
			msg := ""
			if len(p.Contexts) > 0 {
				msg = ": " + aws.ToString(p.Contexts[0].Message)
			}
			return fmt.Sprintf(" in %s%s", p.PhaseType, msg)
		}
	}
	return ""
}

// buildWatch prints a build's phases (and log) until it completes.
type buildWatch struct {
	cb       *codebuild.Client
	logs     *cloudwatchlogs.Client
	id       string
	out      io.Writer
	interval time.Duration

	printed int  // phases printed as ended
	started bool // the phase after them was printed as started
	log     *logTarget
}

func (bw *buildWatch) run(ctx context.Context) (cbtypes.Build, error) {
	start := time.Now()
	for {
		out, err := bw.cb.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{bw.id}})
		if err != nil {
			return cbtypes.Build{}, friendlyError("BatchGetBuilds", err)
		}
		if len(out.Builds) == 0 {
			return cbtypes.Build{}, fmt.Errorf("build %s not found", bw.id)
		}
		b := out.Builds[0]
		if err := bw.printLog(ctx, b); err != nil {
			return b, err
		}
		bw.printPhases(b)
		if b.BuildComplete {
			fmt.Fprintf(bw.out, "Build %s %s in %s\n", bw.id, b.BuildStatus, time.Since(start).Round(100*time.Millisecond))
			return b, nil
		}
		select {
		case <-ctx.Done():
			return b, ctx.Err()
		case <-time.After(bw.interval):
		}
	}
}

// printPhases prints each phase once when it starts and once when it ends.
func (bw *buildWatch) printPhases(b cbtypes.Build) {
	for bw.printed < len(b.Phases) {
		p := b.Phases[bw.printed]
		if p.PhaseType == cbtypes.BuildPhaseTypeCompleted {
			bw.printed++
			continue
		}
		if p.PhaseStatus == "" || p.PhaseStatus == cbtypes.StatusTypeInProgress {
			if !bw.started {
				fmt.Fprintf(bw.out, "  %-17s ...\n", p.PhaseType)
				bw.started = true
			}
			return
		}
		line := fmt.Sprintf("  %-17s %-10s %4ds", p.PhaseType, p.PhaseStatus, aws.ToInt64(p.DurationInSeconds))
		if p.PhaseStatus != cbtypes.StatusTypeSucceeded && len(p.Contexts) > 0 {
			line += "  " + aws.ToString(p.Contexts[0].StatusCode) + ": " + aws.ToString(p.Contexts[0].Message)
		}
		fmt.Fprintln(bw.out, line)
		bw.printed++
		bw.started = false
	}
}

func (bw *buildWatch) printLog(ctx context.Context, b cbtypes.Build) error {
	if bw.logs == nil || b.Logs == nil || aws.ToString(b.Logs.GroupName) == "" {
		return nil
	}
	if bw.log == nil {
		bw.log = &logTarget{group: aws.ToString(b.Logs.GroupName), stream: aws.ToString(b.Logs.StreamName)}
	}
	evs, err := fetchNew(ctx, bw.logs, bw.log)
	if err != nil {
		return err
	}
	for _, e := range evs {
		fmt.Fprintln(bw.out, "    | "+aws.ToString(e.Message))
	}
	return nil
}
