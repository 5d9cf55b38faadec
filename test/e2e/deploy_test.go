package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TestWharfDeploy runs `wharf deploy` as a user does from CI (stdout is not
// a terminal under go test): a rollout that completes (exit 0), one whose
// containers exit at once and trip the circuit breaker, which rolls back
// (exit 3), and one that outlasts --timeout (exit 4). The three services
// share one server and deploy in parallel.
func TestWharfDeploy(t *testing.T) {
	e := newDockerEnv(t)
	healthy := func(c *types.ContainerDefinition) {
		c.HealthCheck = &types.HealthCheck{Command: []string{"CMD", "/testapp", "healthcheck", "http://127.0.0.1:8080/health"},
			Interval: aws.Int32(5), Timeout: aws.Int32(2), Retries: aws.Int32(1)}
		c.LogConfiguration = &types.LogConfiguration{LogDriver: types.LogDriverAwslogs,
			Options: map[string]string{"awslogs-group": "/wharf/deploy", "awslogs-stream-prefix": "e2e", "awslogs-region": "us-east-1"}}
	}
	for _, name := range []string{"ok", "bad", "slow"} {
		e.register(e.app(name, map[string]string{"LISTEN": ":8080", "VERSION": "v1"}, healthy))
		_, err := e.ecs.CreateService(context.Background(), &ecs.CreateServiceInput{Cluster: aws.String(e.cluster), ServiceName: aws.String(name),
			TaskDefinition: aws.String(name), DesiredCount: aws.Int32(2), DeploymentConfiguration: &types.DeploymentConfiguration{
				DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, name := range []string{"ok", "bad", "slow"} {
		wg.Go(func() { e.waitDeployBaseline(name, 60*time.Second) })
	}
	wg.Wait()

	// The new revisions, as files in the format of
	// `aws ecs register-task-definition --cli-input-json`.
	file := func(family string, env map[string]string) string {
		t.Helper()
		var pairs []map[string]string
		for k, v := range env {
			pairs = append(pairs, map[string]string{"name": k, "value": v})
		}
		doc := map[string]any{"family": family, "containerDefinitions": []map[string]any{{
			"name": "app", "image": e.image, "memory": 64, "environment": pairs,
			"portMappings": []map[string]any{{"containerPort": 8080}},
			"healthCheck":  map[string]any{"command": []string{"CMD", "/testapp", "healthcheck", "http://127.0.0.1:8080/health"}, "interval": 5, "timeout": 2, "retries": 1},
			"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]string{
				"awslogs-group": "/wharf/deploy", "awslogs-stream-prefix": "e2e", "awslogs-region": "us-east-1"}},
		}}}
		data, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), family+".json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	deploy := func(t *testing.T, service, path string, extra ...string) (string, int) {
		args := append([]string{"deploy", "--endpoint", e.p.url, "--cluster", e.cluster, "--service", service, "--task-definition", path}, extra...)
		start := time.Now()
		out, err := runWharf(t, args...)
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		t.Logf("wharf %s → exit %d after %s:\n%s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond), out)
		return out, code
	}
	stamped := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) `)

	t.Run("completes", func(t *testing.T) {
		t.Parallel()
		out, code := deploy(t, "ok", file("ok", map[string]string{"LISTEN": ":8080", "VERSION": "v2"}), "--timeout", "80s")
		id := regexp.MustCompile(`deployment (ecs-svc/\d+) of ok:2`).FindStringSubmatch(out)
		if code != 0 || id == nil || !strings.Contains(out, id[1]+" PRIMARY ok:2 COMPLETED") || !strings.Contains(out, "deployment "+id[1]+" COMPLETED") {
			t.Fatalf("exit %d, want 0, the deployment id and COMPLETED", code)
		}
		// Plain output: every progress line starts with a timestamp, no
		// terminal escapes, and an unchanged state is not repeated.
		lines := strings.Split(strings.TrimSpace(out), "\n")
		seen := map[string]bool{}
		for _, l := range lines {
			if !stamped.MatchString(l) || strings.Contains(l, "\x1b") {
				t.Errorf("line %q: want a timestamp and no escapes", l)
			}
			if rest := stamped.ReplaceAllString(l, ""); seen[rest] && strings.HasPrefix(rest, "ecs-svc/") {
				t.Errorf("line printed twice: %q", rest)
			} else {
				seen[rest] = true
			}
		}
		svc := e.describeDeployService(t, "ok")
		if !strings.HasSuffix(aws.ToString(svc.TaskDefinition), "ok:2") || svc.RunningCount != 2 {
			t.Fatalf("service after deploy: %s running %d", aws.ToString(svc.TaskDefinition), svc.RunningCount)
		}
	})

	t.Run("fails and rolls back", func(t *testing.T) {
		t.Parallel()
		path := file("bad", map[string]string{"EXIT_AFTER": "0s", "EXIT_CODE": "7", "STDERR_TEXT": "boom: missing DATABASE_URL"})
		out, code := deploy(t, "bad", path, "--timeout", "80s")
		if code != 3 || !strings.Contains(out, "deployment failed: ECS deployment circuit breaker") || !regexp.MustCompile(`roll(ing|ed) back to bad:1`).MatchString(out) {
			t.Fatalf("exit %d, want 3 and the failure with its rollback", code)
		}
		if !strings.Contains(out, "Stopped tasks of deployment") || !strings.Contains(out, "EssentialContainerExited") ||
			!strings.Contains(out, "container app: exit code 7") || !strings.Contains(out, "| boom: missing DATABASE_URL") {
			t.Fatalf("the failure report lacks the stopped tasks, exit code or log tail")
		}
	})

	t.Run("times out", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		out, code := deploy(t, "slow", file("slow", map[string]string{"LISTEN": ":8080", "HEALTH_STATUS": "500"}), "--timeout", "2s")
		if code != 4 || !strings.Contains(out, "timed out after 2s waiting for deployment") {
			t.Fatalf("exit %d, want 4 and the timeout", code)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Fatalf("--timeout 2s took %s", d)
		}
	})
}

func (e *dockerEnv) describeDeployService(t *testing.T, name string) types.Service {
	t.Helper()
	out, err := e.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(e.cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe service %s: %v %+v", name, err, out)
	}
	return out.Services[0]
}

// waitDeployBaseline waits until the service's PRIMARY deployment is COMPLETED.
func (e *dockerEnv) waitDeployBaseline(name string, d time.Duration) {
	deadline := time.Now().Add(d)
	for {
		out, err := e.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(e.cluster), Services: []string{name}})
		if err == nil && len(out.Services) == 1 {
			for _, dep := range out.Services[0].Deployments {
				if aws.ToString(dep.Status) == "PRIMARY" && dep.RolloutState == types.DeploymentRolloutStateCompleted {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			e.t.Errorf("service %s: not COMPLETED within %s: %v %+v\n%s", name, d, err, out, tail(e.p.logs.String(), 30))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
