package logsapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func newClient(t *testing.T) (*cloudwatchlogs.Client, string) {
	t.Helper()
	srv := wharftest.Start(t)
	return wharftest.Logs(srv.URL()), srv.URL()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func wantErr[E error](t *testing.T, err error, what string) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("%s: err = %v, want %T", what, err, target)
	}
}

func createStream(t *testing.T, c *cloudwatchlogs.Client, group, stream string) {
	t.Helper()
	_, err := c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
	var exists *types.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		t.Fatalf("CreateLogGroup: %v", err)
	}
	if _, err := c.CreateLogStream(ctx(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatalf("CreateLogStream: %v", err)
	}
}

// put stores messages with timestamps base, base+1ms, ...
func put(t *testing.T, c *cloudwatchlogs.Client, group, stream string, base time.Time, msgs ...string) {
	t.Helper()
	var events []types.InputLogEvent
	for i, m := range msgs {
		events = append(events, types.InputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(base.UnixMilli() + int64(i))})
	}
	out, err := c.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events})
	if err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
	if out.RejectedLogEventsInfo != nil {
		t.Fatalf("PutLogEvents rejected %+v", out.RejectedLogEventsInfo)
	}
}

func outMessages(events []types.OutputLogEvent) string {
	var s []string
	for _, e := range events {
		s = append(s, aws.ToString(e.Message))
	}
	return strings.Join(s, ",")
}

func TestLogGroups(t *testing.T) {
	c, _ := newClient(t)
	for _, n := range []string{"/ecs/web", "/ecs/api", "/build/x", "other"} {
		if _, err := c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(n), Tags: map[string]string{"n": "v"}}); err != nil {
			t.Fatalf("CreateLogGroup(%s): %v", n, err)
		}
	}
	_, err := c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web")})
	wantErr[*types.ResourceAlreadyExistsException](t, err, "duplicate CreateLogGroup")
	_, err = c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("bad name")})
	wantErr[*types.InvalidParameterException](t, err, "CreateLogGroup(bad name)")

	out, err := c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/")})
	if err != nil || len(out.LogGroups) != 2 || aws.ToString(out.LogGroups[0].LogGroupName) != "/ecs/api" {
		t.Fatalf("DescribeLogGroups(prefix) = %+v, %v", out, err)
	}
	g := out.LogGroups[0]
	if aws.ToString(g.Arn) != "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/api:*" ||
		aws.ToString(g.LogGroupArn) != "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/api" ||
		g.RetentionInDays != nil || aws.ToInt64(g.CreationTime) == 0 {
		t.Fatalf("log group = %+v", g)
	}
	out, err = c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("ui")})
	if err != nil || len(out.LogGroups) != 1 || aws.ToString(out.LogGroups[0].LogGroupName) != "/build/x" {
		t.Fatalf("DescribeLogGroups(pattern) = %+v, %v", out, err)
	}
	_, err = c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("a"), LogGroupNamePrefix: aws.String("b")})
	wantErr[*types.InvalidParameterException](t, err, "DescribeLogGroups(prefix and pattern)")
	_, err = c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(51)})
	wantErr[*types.InvalidParameterException](t, err, "DescribeLogGroups(limit 51)")

	// Pagination.
	var names []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("DescribeLogGroups page: %v", err)
		}
		pages++
		for _, g := range pg.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
		}
	}
	if strings.Join(names, " ") != "/build/x /ecs/api /ecs/web other" || pages != 2 {
		t.Fatalf("paged groups = %v in %d pages", names, pages)
	}
	_, err = c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{NextToken: aws.String("garbage")})
	wantErr[*types.InvalidParameterException](t, err, "DescribeLogGroups(bad token)")

	// Retention.
	if _, err := c.PutRetentionPolicy(ctx(t), &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("other"), RetentionInDays: aws.Int32(7)}); err != nil {
		t.Fatalf("PutRetentionPolicy: %v", err)
	}
	_, err = c.PutRetentionPolicy(ctx(t), &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("other"), RetentionInDays: aws.Int32(2)})
	wantErr[*types.InvalidParameterException](t, err, "PutRetentionPolicy(2)")
	_, err = c.PutRetentionPolicy(ctx(t), &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("nope"), RetentionInDays: aws.Int32(7)})
	wantErr[*types.ResourceNotFoundException](t, err, "PutRetentionPolicy(missing)")
	out, _ = c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("other")})
	if aws.ToInt32(out.LogGroups[0].RetentionInDays) != 7 {
		t.Fatalf("retention = %v", out.LogGroups[0].RetentionInDays)
	}
	if _, err := c.DeleteRetentionPolicy(ctx(t), &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("other")}); err != nil {
		t.Fatalf("DeleteRetentionPolicy: %v", err)
	}
	out, _ = c.DescribeLogGroups(ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("other")})
	if out.LogGroups[0].RetentionInDays != nil {
		t.Fatalf("retention after delete = %v", *out.LogGroups[0].RetentionInDays)
	}
	_, err = c.DeleteRetentionPolicy(ctx(t), &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("nope")})
	wantErr[*types.ResourceNotFoundException](t, err, "DeleteRetentionPolicy(missing)")

	// Delete.
	if _, err := c.DeleteLogGroup(ctx(t), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("other")}); err != nil {
		t.Fatalf("DeleteLogGroup: %v", err)
	}
	_, err = c.DeleteLogGroup(ctx(t), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("other")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "The specified log group does not exist." {
		t.Fatalf("second DeleteLogGroup = %v", err)
	}
}

func TestLogStreams(t *testing.T) {
	c, _ := newClient(t)
	now := time.Now()
	for i, n := range []string{"web/app/3", "web/app/1", "web/app/2", "db/x"} {
		createStream(t, c, "/ecs/web", n)
		if n != "db/x" {
			put(t, c, "/ecs/web", n, now.Add(time.Duration(-i)*time.Minute), "hello")
		}
	}
	_, err := c.CreateLogStream(ctx(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("db/x")})
	wantErr[*types.ResourceAlreadyExistsException](t, err, "duplicate CreateLogStream")
	_, err = c.CreateLogStream(ctx(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("x")})
	wantErr[*types.ResourceNotFoundException](t, err, "CreateLogStream(missing group)")
	_, err = c.CreateLogStream(ctx(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("a:b")})
	wantErr[*types.InvalidParameterException](t, err, "CreateLogStream(a:b)")

	names := func(in *cloudwatchlogs.DescribeLogStreamsInput) string {
		t.Helper()
		var out []string
		p := cloudwatchlogs.NewDescribeLogStreamsPaginator(c, in)
		for p.HasMorePages() {
			pg, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatalf("DescribeLogStreams: %v", err)
			}
			for _, s := range pg.LogStreams {
				out = append(out, aws.ToString(s.LogStreamName))
			}
		}
		return strings.Join(out, " ")
	}
	g := aws.String("/ecs/web")
	tests := []struct {
		name string
		in   cloudwatchlogs.DescribeLogStreamsInput
		want string
	}{
		{"by name", cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: g, Limit: aws.Int32(1)}, "db/x web/app/1 web/app/2 web/app/3"},
		{"by name descending", cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: g, Descending: aws.Bool(true), Limit: aws.Int32(3)}, "web/app/3 web/app/2 web/app/1 db/x"},
		{"prefix", cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: g, LogStreamNamePrefix: aws.String("web/"), Limit: aws.Int32(2)}, "web/app/1 web/app/2 web/app/3"},
		{"last event time", cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: g, OrderBy: types.OrderByLastEventTime, Limit: aws.Int32(2)}, "db/x web/app/2 web/app/1 web/app/3"},
		{"last event time descending", cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web"), OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true), Limit: aws.Int32(2)}, "web/app/3 web/app/1 web/app/2 db/x"},
	}
	for _, tt := range tests {
		if got := names(&tt.in); got != tt.want {
			t.Errorf("%s: streams = %q, want %q", tt.name, got, tt.want)
		}
	}
	out, err := c.DescribeLogStreams(ctx(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: g, LogStreamNamePrefix: aws.String("web/app/3")})
	if err != nil || len(out.LogStreams) != 1 {
		t.Fatalf("DescribeLogStreams = %+v, %v", out, err)
	}
	s := out.LogStreams[0]
	if aws.ToInt64(s.FirstEventTimestamp) != now.UnixMilli() || aws.ToInt64(s.LastEventTimestamp) != now.UnixMilli() ||
		aws.ToInt64(s.LastIngestionTime) == 0 || aws.ToString(s.Arn) != "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:log-stream:web/app/3" {
		t.Fatalf("stream = %+v", s)
	}
	out, _ = c.DescribeLogStreams(ctx(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: g, LogStreamNamePrefix: aws.String("db/")})
	if s := out.LogStreams[0]; s.FirstEventTimestamp != nil || s.LastEventTimestamp != nil {
		t.Fatalf("empty stream = %+v", s)
	}
	_, err = c.DescribeLogStreams(ctx(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: g, OrderBy: types.OrderByLastEventTime, LogStreamNamePrefix: aws.String("w")})
	wantErr[*types.InvalidParameterException](t, err, "DescribeLogStreams(LastEventTime with prefix)")
	_, err = c.DescribeLogStreams(ctx(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/nope")})
	wantErr[*types.ResourceNotFoundException](t, err, "DescribeLogStreams(missing group)")
	_, err = c.DescribeLogStreams(ctx(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: g, LogGroupIdentifier: g})
	wantErr[*types.InvalidParameterException](t, err, "DescribeLogStreams(name and identifier)")

	if _, err := c.DeleteLogStream(ctx(t), &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: g, LogStreamName: aws.String("db/x")}); err != nil {
		t.Fatalf("DeleteLogStream: %v", err)
	}
	_, err = c.DeleteLogStream(ctx(t), &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: g, LogStreamName: aws.String("db/x")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "The specified log stream does not exist." {
		t.Fatalf("second DeleteLogStream = %v", err)
	}
}

func TestPutLogEvents(t *testing.T) {
	c, _ := newClient(t)
	createStream(t, c, "g", "s")
	now := time.Now().UnixMilli()
	in := func(ts ...int64) *cloudwatchlogs.PutLogEventsInput {
		var events []types.InputLogEvent
		for i, t := range ts {
			events = append(events, types.InputLogEvent{Message: aws.String(fmt.Sprint(i)), Timestamp: aws.Int64(t)})
		}
		return &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: events,
			SequenceToken: aws.String("ignored")}
	}
	out, err := c.PutLogEvents(ctx(t), in(now, now+1, now+3*3600*1000))
	if err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
	r := out.RejectedLogEventsInfo
	if r == nil || aws.ToInt32(r.TooNewLogEventStartIndex) != 2 || r.TooOldLogEventEndIndex != nil || r.ExpiredLogEventEndIndex != nil {
		t.Fatalf("rejected = %+v", r)
	}
	old := now - 15*24*3600*1000
	out, err = c.PutLogEvents(ctx(t), in(old, old+1, now-23*3600*1000))
	if err == nil {
		t.Fatalf("batch spanning 15 days accepted: %+v", out)
	}
	wantErr[*types.InvalidParameterException](t, err, "PutLogEvents(span)")
	out, err = c.PutLogEvents(ctx(t), in(now-14*24*3600*1000-10, now-14*24*3600*1000+3600*1000))
	if err != nil || out.RejectedLogEventsInfo == nil || aws.ToInt32(out.RejectedLogEventsInfo.TooOldLogEventEndIndex) != 1 {
		t.Fatalf("PutLogEvents(too old) = %+v, %v", out, err)
	}
	_, err = c.PutLogEvents(ctx(t), in(now, now-1))
	wantErr[*types.InvalidParameterException](t, err, "PutLogEvents(out of order)")
	_, err = c.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("nope"),
		LogEvents: []types.InputLogEvent{{Message: aws.String("x"), Timestamp: aws.Int64(now)}}})
	wantErr[*types.ResourceNotFoundException](t, err, "PutLogEvents(missing stream)")
	_, err = c.PutLogEvents(ctx(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{{Message: aws.String(strings.Repeat("x", 300<<10)), Timestamp: aws.Int64(now)}}})
	wantErr[*types.InvalidParameterException](t, err, "PutLogEvents(event too large)")
	got, err := c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	if err != nil || outMessages(got.Events) != "1,0,1" {
		t.Fatalf("stored events = %q, %v", outMessages(got.Events), err)
	}
}

func TestGetLogEvents(t *testing.T) {
	c, _ := newClient(t)
	createStream(t, c, "/ecs/web", "s")
	base := time.Now().Add(-time.Hour)
	var msgs []string
	for i := range 10 {
		msgs = append(msgs, fmt.Sprint(i))
	}
	put(t, c, "/ecs/web", "s", base, msgs...)
	get := func(in cloudwatchlogs.GetLogEventsInput) *cloudwatchlogs.GetLogEventsOutput {
		t.Helper()
		in.LogGroupName = aws.String("/ecs/web")
		in.LogStreamName = aws.String("s")
		out, err := c.GetLogEvents(ctx(t), &in)
		if err != nil {
			t.Fatalf("GetLogEvents: %v", err)
		}
		return out
	}

	// Default: the latest events first page; then backward to the start.
	out := get(cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(4)})
	if m := outMessages(out.Events); m != "6,7,8,9" {
		t.Fatalf("tail = %s", m)
	}
	var back []string
	tok := out.NextBackwardToken
	for range 10 {
		pg := get(cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(4), NextToken: tok})
		if aws.ToString(pg.NextBackwardToken) == aws.ToString(tok) {
			if len(pg.Events) != 0 {
				t.Fatalf("same backward token with events %s", outMessages(pg.Events))
			}
			break
		}
		back = append([]string{outMessages(pg.Events)}, back...)
		tok = pg.NextBackwardToken
	}
	if strings.Join(back, ",") != "0,1,2,3,4,5" {
		t.Fatalf("backward pages = %v", back)
	}

	// Forward with the SDK paginator from the head: it terminates, as
	// against AWS, when the same token comes back (StopOnDuplicateToken).
	var fwd []string
	p := cloudwatchlogs.NewGetLogEventsPaginator(c, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true), Limit: aws.Int32(3)},
		func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for i := 0; p.HasMorePages(); i++ {
		if i > 10 {
			t.Fatal("GetLogEvents paginator does not terminate")
		}
		pg, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if m := outMessages(pg.Events); m != "" {
			fwd = append(fwd, m)
		}
	}
	if strings.Join(fwd, "|") != "0,1,2|3,4,5|6,7,8|9" {
		t.Fatalf("forward pages = %v", fwd)
	}

	// At the end, the forward token comes back unchanged; new events then
	// appear behind it.
	last := get(cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true)})
	end := get(cloudwatchlogs.GetLogEventsInput{NextToken: last.NextForwardToken})
	if len(end.Events) != 0 || aws.ToString(end.NextForwardToken) != aws.ToString(last.NextForwardToken) {
		t.Fatalf("end of stream = %+v", end)
	}
	put(t, c, "/ecs/web", "s", base.Add(time.Second), "10", "11")
	more := get(cloudwatchlogs.GetLogEventsInput{NextToken: end.NextForwardToken})
	if m := outMessages(more.Events); m != "10,11" {
		t.Fatalf("after new events = %s", m)
	}
	// The other direction from an empty page starts where it stands.
	prev := get(cloudwatchlogs.GetLogEventsInput{NextToken: end.NextBackwardToken, Limit: aws.Int32(2)})
	if m := outMessages(prev.Events); m != "8,9" {
		t.Fatalf("backward from end = %s", m)
	}

	// Time range: startTime inclusive, endTime exclusive.
	rng := get(cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true),
		StartTime: aws.Int64(base.UnixMilli() + 2), EndTime: aws.Int64(base.UnixMilli() + 5)})
	if m := outMessages(rng.Events); m != "2,3,4" {
		t.Fatalf("range = %s", m)
	}
	by := get(cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(1)})
	if aws.ToInt64(by.Events[0].IngestionTime) == 0 {
		t.Fatalf("no ingestion time: %+v", by.Events[0])
	}

	_, err := c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("s"), NextToken: aws.String("x/1/2")})
	wantErr[*types.InvalidParameterException](t, err, "GetLogEvents(bad token)")
	_, err = c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("nope")})
	wantErr[*types.ResourceNotFoundException](t, err, "GetLogEvents(missing stream)")
	_, err = c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/nope"), LogStreamName: aws.String("s")})
	wantErr[*types.ResourceNotFoundException](t, err, "GetLogEvents(missing group ARN)")
	_, err = c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogStreamName: aws.String("s")})
	wantErr[*types.InvalidParameterException](t, err, "GetLogEvents(no group)")
	_, err = c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("s"), Limit: aws.Int32(10001)})
	wantErr[*types.InvalidParameterException](t, err, "GetLogEvents(limit 10001)")
	out, err = c.GetLogEvents(ctx(t), &cloudwatchlogs.GetLogEventsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*"), LogStreamName: aws.String("s"), Limit: aws.Int32(1)})
	if err != nil || outMessages(out.Events) != "11" {
		t.Fatalf("GetLogEvents(group ARN) = %+v, %v", out, err)
	}
}

func TestFilterLogEvents(t *testing.T) {
	c, _ := newClient(t)
	base := time.Now().Add(-time.Minute)
	createStream(t, c, "g", "web/1")
	createStream(t, c, "g", "web/2")
	createStream(t, c, "g", "db/1")
	put(t, c, "g", "web/1", base, "a ERROR x", "b", "c WARN")
	put(t, c, "g", "web/2", base, "d ERROR Exiting", "e") // ties: by stream name
	put(t, c, "g", "db/1", base.Add(10*time.Millisecond), `f "connection refused"`)
	filter := func(in cloudwatchlogs.FilterLogEventsInput) (string, int) {
		t.Helper()
		in.LogGroupName = aws.String("g")
		var out []string
		pages := 0
		p := cloudwatchlogs.NewFilterLogEventsPaginator(c, &in)
		for p.HasMorePages() {
			pg, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatalf("FilterLogEvents: %v", err)
			}
			pages++
			for _, e := range pg.Events {
				if aws.ToString(e.EventId) == "" || aws.ToString(e.LogStreamName) == "" {
					t.Fatalf("event without id or stream: %+v", e)
				}
				out = append(out, aws.ToString(e.Message))
			}
		}
		return strings.Join(out, ","), pages
	}
	tests := []struct {
		name  string
		in    cloudwatchlogs.FilterLogEventsInput
		want  string
		pages int
	}{
		{"all interleaved", cloudwatchlogs.FilterLogEventsInput{}, `a ERROR x,d ERROR Exiting,b,e,c WARN,f "connection refused"`, 1},
		{"paged", cloudwatchlogs.FilterLogEventsInput{Limit: aws.Int32(2)}, `a ERROR x,d ERROR Exiting,b,e,c WARN,f "connection refused"`, 3},
		{"term", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("ERROR")}, "a ERROR x,d ERROR Exiting", 1},
		{"exclude", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("ERROR -Exiting")}, "a ERROR x", 1},
		{"or", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("?WARN ?Exiting")}, "d ERROR Exiting,c WARN", 1},
		{"phrase", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String(`"connection refused"`)}, `f "connection refused"`, 1},
		{"stream names", cloudwatchlogs.FilterLogEventsInput{LogStreamNames: []string{"web/2", "db/1"}}, `d ERROR Exiting,e,f "connection refused"`, 1},
		{"stream prefix", cloudwatchlogs.FilterLogEventsInput{LogStreamNamePrefix: aws.String("web/")}, "a ERROR x,d ERROR Exiting,b,e,c WARN", 1},
		{"time", cloudwatchlogs.FilterLogEventsInput{StartTime: aws.Int64(base.UnixMilli() + 1), EndTime: aws.Int64(base.UnixMilli() + 2)}, "b,e", 1},
	}
	for _, tt := range tests {
		got, pages := filter(tt.in)
		if got != tt.want || pages != tt.pages {
			t.Errorf("%s: events = %q in %d pages, want %q in %d", tt.name, got, pages, tt.want, tt.pages)
		}
	}
	_, err := c.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String(`{ $.level = "error" }`)})
	wantErr[*types.InvalidParameterException](t, err, "FilterLogEvents(JSON pattern)")
	_, err = c.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), LogStreamNames: []string{"a"}, LogStreamNamePrefix: aws.String("a")})
	wantErr[*types.InvalidParameterException](t, err, "FilterLogEvents(names and prefix)")
	_, err = c.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("nope")})
	wantErr[*types.ResourceNotFoundException](t, err, "FilterLogEvents(missing group)")
	_, err = c.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), NextToken: aws.String("bad")})
	wantErr[*types.InvalidParameterException](t, err, "FilterLogEvents(bad token)")
}

func TestTags(t *testing.T) {
	c, _ := newClient(t)
	if _, err := c.CreateLogGroup(ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web"), Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web"
	if _, err := c.TagResource(ctx(t), &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	lt, err := c.ListTagsForResource(ctx(t), &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(lt.Tags) != 2 || lt.Tags["env"] != "prod" || lt.Tags["team"] != "a" {
		t.Fatalf("ListTagsForResource = %+v, %v", lt, err)
	}
	if _, err := c.UntagResource(ctx(t), &cloudwatchlogs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	if _, err := c.TagLogGroup(ctx(t), &cloudwatchlogs.TagLogGroupInput{LogGroupName: aws.String("/ecs/web"), Tags: map[string]string{"old": "api"}}); err != nil {
		t.Fatalf("TagLogGroup: %v", err)
	}
	if _, err := c.UntagLogGroup(ctx(t), &cloudwatchlogs.UntagLogGroupInput{LogGroupName: aws.String("/ecs/web"), Tags: []string{"env"}}); err != nil {
		t.Fatalf("UntagLogGroup: %v", err)
	}
	old, err := c.ListTagsLogGroup(ctx(t), &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String("/ecs/web")})
	if err != nil || len(old.Tags) != 1 || old.Tags["old"] != "api" {
		t.Fatalf("ListTagsLogGroup = %+v, %v", old, err)
	}
	_, err = c.TagResource(ctx(t), &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(arn + "x"), Tags: map[string]string{"a": "b"}})
	wantErr[*types.ResourceNotFoundException](t, err, "TagResource(missing group)")
	_, err = c.ListTagsForResource(ctx(t), &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/x")})
	wantErr[*types.InvalidParameterException](t, err, "ListTagsForResource(foreign ARN)")
	_, err = c.ListTagsLogGroup(ctx(t), &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String("/nope")})
	wantErr[*types.ResourceNotFoundException](t, err, "ListTagsLogGroup(missing)")
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprint("k", i)] = "v"
	}
	_, err = c.TagResource(ctx(t), &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(arn), Tags: many})
	wantErr[*types.TooManyTagsException](t, err, "TagResource(51 tags)")
}
