package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// TestAwslogs: what a container prints comes back through GetLogEvents,
// the AWS CLI's `aws logs tail` and `wharf logs`.
func TestAwslogs(t *testing.T) {
	e := newDockerEnv(t)
	e.register(e.app("talker", map[string]string{"PRINT_LINES": "5", "PRINT_INTERVAL": "10ms", "STDERR_TEXT": "oops on stderr", "EXIT_AFTER": "2s"},
		func(c *types.ContainerDefinition) {
			c.PortMappings = nil
			c.LogConfiguration = &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/wharf/e2e", "awslogs-stream-prefix": "talk", "awslogs-region": "us-east-1"}}
		}))
	arn := aws.ToString(e.run("talker").TaskArn)
	e.waitStatus(arn, "STOPPED")
	taskID := arn[strings.LastIndex(arn, "/")+1:]
	stream := "talk/app/" + taskID

	logs := wharftest.Logs(e.p.url)
	var messages []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := logs.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("/wharf/e2e"), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)})
		messages = messages[:0]
		if err == nil {
			for _, ev := range out.Events {
				messages = append(messages, aws.ToString(ev.Message))
			}
		}
		joined := strings.Join(messages, "\n")
		if strings.Contains(joined, "line 5") && strings.Contains(joined, "oops on stderr") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log stream %s: %v, events %q\n%s", stream, err, messages, tail(e.p.logs.String(), 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Lines arrive in the order the container printed them.
	joined := strings.Join(messages, "\n")
	if i, j := strings.Index(joined, "line 1"), strings.Index(joined, "line 5"); i < 0 || j < i {
		t.Fatalf("events out of order: %q", messages)
	}

	// The AWS CLI v2 reads the same stream.
	cli := exec.Command(awsCLI(t), "--endpoint-url", e.p.url, "logs", "tail", "/wharf/e2e", "--since", "1h", "--format", "short")
	cli.Env = append(cli.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	out, err := cli.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "line 3") {
		t.Fatalf("aws logs tail: %v\n%s", err, out)
	}

	// And so does `wharf logs`.
	got, err := runWharf(t, "logs", taskID, "--cluster", e.cluster, "--endpoint", e.p.url)
	if err != nil || !strings.Contains(got, "line 2") || !strings.Contains(got, "oops on stderr") {
		t.Fatalf("wharf logs: %v\n%s", err, got)
	}
}
