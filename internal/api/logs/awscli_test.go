package logsapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const awsCLI = "/usr/bin/aws"

// awsCommand prepares an AWS CLI v2 invocation against url with test
// credentials and no user configuration.
func awsCommand(t *testing.T, ctx context.Context, url string, args ...string) *exec.Cmd {
	t.Helper()
	if _, err := os.Stat(awsCLI); err != nil {
		t.Fatalf("the AWS CLI v2 is required at %s (apt-get install -y awscli): %v", awsCLI, err)
	}
	cmd := exec.CommandContext(ctx, awsCLI, append([]string{"--endpoint-url", url, "--no-cli-pager"}, args...)...)
	cmd.Env = []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + t.TempDir(),
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		"PYTHONUNBUFFERED=1", // tail --follow writes without flushing
	}
	return cmd
}

func TestAWSCLI(t *testing.T) {
	c, url := newClient(t)
	createStream(t, c, "/ecs/cli", "web/app/1")
	now := time.Now().Add(-10 * time.Minute)
	put(t, c, "/ecs/cli", "web/app/1", now, "first line", "second line")

	t.Run("get-log-events", func(t *testing.T) {
		out, err := awsCommand(t, ctx(t), url, "logs", "get-log-events", "--log-group-name", "/ecs/cli",
			"--log-stream-name", "web/app/1", "--start-from-head", "--output", "json").Output()
		if err != nil {
			t.Fatalf("aws logs get-log-events: %v\n%s", err, stderrOf(err))
		}
		var resp struct {
			Events []struct {
				Message   string `json:"message"`
				Timestamp int64  `json:"timestamp"`
			} `json:"events"`
			NextForwardToken string `json:"nextForwardToken"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("output %s: %v", out, err)
		}
		if len(resp.Events) != 2 || resp.Events[1].Message != "second line" || !strings.HasPrefix(resp.NextForwardToken, "f/") {
			t.Fatalf("get-log-events = %s", out)
		}
	})

	t.Run("tail", func(t *testing.T) {
		out, err := awsCommand(t, ctx(t), url, "logs", "tail", "/ecs/cli", "--since", "1h", "--format", "short").Output()
		if err != nil {
			t.Fatalf("aws logs tail: %v\n%s", err, stderrOf(err))
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 2 || !strings.HasSuffix(lines[0], " first line") || !strings.HasSuffix(lines[1], " second line") {
			t.Fatalf("aws logs tail printed:\n%s", out)
		}
	})

	t.Run("tail follow", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := awsCommand(t, cctx, url, "logs", "tail", "/ecs/cli", "--since", "1h", "--format", "short", "--follow")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			cancel()
			_ = cmd.Wait()
		}()
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		expect := func(want string) {
			t.Helper()
			timeout := time.After(30 * time.Second) // the CLI polls every 5s
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("aws logs tail --follow ended before %q; stderr:\n%s", want, stderr.String())
					}
					if strings.HasSuffix(l, " "+want) {
						return
					}
				case <-timeout:
					t.Fatalf("aws logs tail --follow did not print %q; stderr:\n%s", want, stderr.String())
				}
			}
		}
		expect("second line")
		put(t, c, "/ecs/cli", "web/app/1", time.Now(), "third line")
		createStream(t, c, "/ecs/cli", "web/app/2")
		put(t, c, "/ecs/cli", "web/app/2", time.Now(), "from another stream")
		expect("third line")
		expect("from another stream")
	})
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
