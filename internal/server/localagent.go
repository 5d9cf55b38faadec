package server

import (
	"context"
	"net/http"
	"time"

	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	"github.com/wharfhq/wharf/internal/agent"
	"github.com/wharfhq/wharf/internal/agent/hostinfo"
	"github.com/wharfhq/wharf/internal/agent/logcapture"
	"github.com/wharfhq/wharf/internal/agent/taskrun"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/registry"
	"github.com/wharfhq/wharf/internal/runtime/docker"
	"github.com/wharfhq/wharf/internal/version"
)

// startLocalAgent runs the in-process agent fleet on the local Docker
// engine: one container instance in every ACTIVE cluster.
func (s *Server) startLocalAgent(ctx, runCtx context.Context) error {
	rt, err := docker.New(docker.Options{Logger: s.cfg.Logger})
	if err != nil {
		return fmt.Errorf("local agent: %w (start dockerd, or run with --local-agent=false)", err)
	}
	tmpl, err := AgentTemplate(ctx, AgentSetup{
		ServerURL: s.loopbackURL(), Token: s.token, Region: s.cfg.Region,
		DataDir: s.cfg.DataDir, Runtime: rt, ServerPort: s.listener.Addr(),
		Logger: s.cfg.Logger, RegistryHosts: s.registryHosts(),
	})
	if err != nil {
		return err
	}
	// The local agent's instances are wharf's own: DeleteCluster retires them
	// instead of refusing to delete the cluster.
	tmpl.Attributes = append(tmpl.Attributes, model.Attribute{Name: agent.AttrLocalAgent, Value: "true"})
	s.fleet = &agent.Fleet{Template: tmpl, Clusters: s.cfg.LocalAgentClusters,
		Logger: s.cfg.Logger.With("component", "local-agent")}
	s.startLoop(runCtx, "local-agent", s.fleet.Run)
	return nil
}

// AgentSetup is what an agent process (in-process or `wharf agent`) needs
// to build its configuration.
type AgentSetup struct {
	ServerURL, Token, Region, DataDir string
	Runtime                           *docker.Runtime
	ServerPort                        interface{ String() string } // reserved on the host, may be nil
	Logger                            *slog.Logger
	// RegistryHosts are extra host:port names of the server's registry
	// (its URL's host is always one) that get the agent's pull credentials.
	RegistryHosts []string
}

// AgentTemplate builds an agent configuration for this host: resources
// from the host, the pause image built from this binary, awslogs capture
// through the server's CloudWatch Logs API.
func AgentTemplate(ctx context.Context, in AgentSetup) (agent.Config, error) {
	exe, err := os.Executable()
	if err != nil {
		return agent.Config{}, fmt.Errorf("locate the wharf binary for the pause image: %w", err)
	}
	pause, err := taskrun.EnsurePauseImage(ctx, in.Runtime, exe)
	if err != nil {
		return agent.Config{}, fmt.Errorf("build the awsvpc pause image: %w", err)
	}
	res, err := hostinfo.Resources(in.ServerPort)
	if err != nil {
		return agent.Config{}, err
	}
	in.Runtime.SetRegistryAuth(AgentRegistryAuth(in.ServerURL, in.Token, in.RegistryHosts))
	dockerVersion, _ := in.Runtime.Version(ctx)
	logs := logcapture.New(logsClient(in.ServerURL, in.Region, in.Token), in.Runtime, in.Logger)
	registryHost := ""
	if u, err := url.Parse(in.ServerURL); err == nil {
		registryHost = u.Host
	}
	return agent.Config{
		ServerURL: in.ServerURL,
		Token:     in.Token,
		Region:    in.Region,
		Runtime:   in.Runtime,
		StateDir:  filepath.Join(in.DataDir, "agent"),
		DataDir:   in.DataDir,
		Resources: res,
		Version:   agentVersion(dockerVersion),
		Logs:      logs,
		BuildLogs: logs,
		Builds: &agent.BuildSettings{
			WorkDir:  filepath.Join(in.DataDir, "builds"),
			CacheDir: filepath.Join(in.DataDir, "build-cache"),
			Registry: registryHost,
			RegistryAuth: func() (string, string, bool) {
				return registry.AgentUser, in.Token, in.Token != ""
			},
		},
		PauseImage:    pause,
		AwsvpcNetwork: "wharf-awsvpc",
		Logger:        in.Logger,
	}, nil
}

func agentVersion(docker string) (v model.VersionInfo) {
	v.AgentVersion = version.Version
	v.DockerVersion = "DockerVersion: " + docker
	return v
}

// logsClient is the CloudWatch Logs client agents ship container output with.
func logsClient(serverURL, region, token string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("wharf-agent", token, ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
	}, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(serverURL) })
}
