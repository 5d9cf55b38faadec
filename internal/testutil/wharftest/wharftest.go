// Package wharftest starts wharf servers for tests and connects the real
// AWS SDK clients to them. It imports internal/server; tests that need only
// an API's services on a gateway, and must not import the server, use
// apitest, whose logger and SDK configuration this package shares.
package wharftest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/wharfhq/wharf/internal/server"
	"github.com/wharfhq/wharf/internal/testutil/apitest"
)

// Logger returns a logger for servers under test: silent unless
// WHARF_TEST_LOG is set. It is apitest.Logger.
func Logger() *slog.Logger { return apitest.Logger() }

// Start runs an in-process server on a free loopback port with embedded
// etcd in a temporary directory, and stops it when the test ends.
func Start(t testing.TB) *server.Server {
	t.Helper()
	return StartWith(t, server.Config{DataDir: t.TempDir()})
}

// StartWith runs an in-process server with cfg; Listen defaults to a free
// loopback port.
func StartWith(t testing.TB, cfg server.Config) *server.Server {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = Logger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start wharf server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return srv
}

// AWSConfig returns apitest.AWSConfig for region (server.DefaultRegion
// when empty): static test credentials, only transient errors retried, at
// most 3 attempts and without the client-side rate limit.
func AWSConfig(region string) aws.Config {
	if region == "" {
		region = server.DefaultRegion
	}
	return apitest.AWSConfig(region)
}

// ECS returns an ECS client for the server at baseURL.
func ECS(baseURL string) *ecs.Client {
	return ecs.NewFromConfig(AWSConfig(""), func(o *ecs.Options) {
		o.BaseEndpoint = aws.String(baseURL)
	})
}

// Logs returns a CloudWatch Logs client for the server at baseURL.
func Logs(baseURL string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(AWSConfig(""), func(o *cloudwatchlogs.Options) {
		o.BaseEndpoint = aws.String(baseURL)
	})
}

// ELBv2 returns an Elastic Load Balancing v2 client for the server at baseURL.
func ELBv2(baseURL string) *elasticloadbalancingv2.Client {
	return elasticloadbalancingv2.NewFromConfig(AWSConfig(""), func(o *elasticloadbalancingv2.Options) {
		o.BaseEndpoint = aws.String(baseURL)
	})
}

// SSM returns a Systems Manager (Parameter Store) client for the server at baseURL.
func SSM(baseURL string) *ssm.Client {
	return ssm.NewFromConfig(AWSConfig(""), func(o *ssm.Options) {
		o.BaseEndpoint = aws.String(baseURL)
	})
}

// SecretsManager returns a Secrets Manager client for the server at baseURL.
func SecretsManager(baseURL string) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(AWSConfig(""), func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(baseURL)
	})
}

// CodeBuild returns a CodeBuild client for the server at baseURL.
func CodeBuild(baseURL string) *codebuild.Client {
	return codebuild.NewFromConfig(AWSConfig(""), func(o *codebuild.Options) {
		o.BaseEndpoint = aws.String(baseURL)
	})
}
