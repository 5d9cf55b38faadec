package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func awslogs(group, prefix string) *ecstypes.LogConfiguration {
	opts := map[string]string{"awslogs-group": group}
	if prefix != "" {
		opts["awslogs-stream-prefix"] = prefix
	}
	return &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: opts}
}

func TestStreamsFor(t *testing.T) {
	defs := []ecstypes.ContainerDefinition{
		{Name: aws.String("app"), LogConfiguration: awslogs("/ecs/web", "web")},
		{Name: aws.String("sidecar"), LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverJsonFile}},
		{Name: aws.String("noprefix"), LogConfiguration: awslogs("/ecs/raw", "")},
		{Name: aws.String("plain")},
	}
	running := []ecstypes.Container{{Name: aws.String("noprefix"), RuntimeId: aws.String("abc123")}}
	tests := []struct {
		name       string
		containers []ecstypes.Container
		only       string
		want       string
		wantErr    bool
	}{
		{"all awslogs containers", running, "", "app /ecs/web web/app/t1; noprefix /ecs/raw abc123", false},
		{"no runtime id yet", nil, "", "app /ecs/web web/app/t1", false},
		{"one container", running, "app", "app /ecs/web web/app/t1", false},
		{"container without awslogs", running, "sidecar", "", true},
		{"unknown container", running, "nope", "", true},
		{"nothing to show", nil, "plain", "", true},
	}
	for _, tt := range tests {
		got, err := streamsFor(defs, tt.containers, "t1", tt.only)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: no error, targets %v", tt.name, got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var parts []string
		for _, g := range got {
			parts = append(parts, g.container+" "+g.group+" "+g.stream)
		}
		if s := strings.Join(parts, "; "); s != tt.want {
			t.Errorf("%s: targets %q, want %q", tt.name, s, tt.want)
		}
	}
	if id := taskIDOf("arn:aws:ecs:us-east-1:000000000000:task/web/0f1e2d"); id != "0f1e2d" {
		t.Fatalf("taskIDOf(ARN) = %s", id)
	}
	if id := taskIDOf("0f1e2d"); id != "0f1e2d" {
		t.Fatalf("taskIDOf(ID) = %s", id)
	}
}

func TestPrintNew(t *testing.T) {
	srv := wharftest.Start(t)
	c := wharftest.Logs(srv.URL())
	ctx := context.Background()
	c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web")})
	for _, s := range []string{"web/app/t1", "web/side/t1"} {
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String(s)}); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().UnixMilli()
	putAt := func(stream string, ts int64, msg string) {
		t.Helper()
		_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String(stream),
			LogEvents: []logstypes.InputLogEvent{{Message: aws.String(msg), Timestamp: aws.Int64(ts)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	putAt("web/app/t1", base, "app 1")
	putAt("web/side/t1", base+1, "side 1")
	putAt("web/app/t1", base+2, "app 2")
	var out bytes.Buffer
	tl := &taskLogs{logs: c, out: &out}
	targets := []*logTarget{
		{container: "app", group: "/ecs/web", stream: "web/app/t1"},
		{container: "side", group: "/ecs/web", stream: "web/side/t1"},
		{container: "late", group: "/ecs/web", stream: "web/late/t1"}, // not created yet
	}
	n, err := tl.printNew(ctx, targets, true)
	if err != nil || n != 3 || out.String() != "app | app 1\nside | side 1\napp | app 2\n" {
		t.Fatalf("printNew = %d, %v:\n%s", n, err, out.String())
	}
	out.Reset()
	if n, err := tl.printNew(ctx, targets, true); err != nil || n != 0 || out.Len() != 0 {
		t.Fatalf("second printNew = %d, %v: %q", n, err, out.String())
	}
	putAt("web/app/t1", base+3, "app 3")
	if n, err := tl.printNew(ctx, targets[:1], false); err != nil || n != 1 || out.String() != "app 3\n" {
		t.Fatalf("third printNew = %d, %v: %q", n, err, out.String())
	}
}
