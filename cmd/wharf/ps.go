package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
)

func newPsCmd() *cobra.Command {
	var cluster, service, output, endpoint string
	var all bool
	cmd := &cobra.Command{
		Use:   "ps",
		Short: "List a cluster's tasks",
		Long: `List the tasks of a cluster (of one service with --service) whose desired
status is RUNNING, with --all also the STOPPED ones the server still keeps:
ID (short), GROUP (service:NAME or family:NAME), TASK DEFINITION, LAST STATUS,
HEALTH, STARTED (how long ago) and PORTS (hostPort->containerPort/protocol
of bridge and host mode bindings; the task's address in awsvpc mode).

-o json prints {"tasks": [...]} in the shape of the DescribeTasks response,
as "aws ecs describe-tasks" prints it.
` + listExitCodes,
		Example: `  wharf ps --cluster prod --service web
  wharf ps --cluster prod -o json | jq -r '.tasks[].taskArn'`,
		Args: cobra.ArbitraryArgs,
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected argument %q", args[0])
			}
			format, err := parseOutputFormat(output)
			if err != nil {
				return err
			}
			tasks, err := listTasks(cmd.Context(), newCLIClients(endpoint).json, cluster, service, all)
			if err != nil {
				return err
			}
			if format == outputJSON {
				return writeJSON(cmd.OutOrStdout(), struct {
					Tasks []ecswire.Task `json:"tasks"`
				}{tasks})
			}
			return writeTasksTable(cmd.OutOrStdout(), tasks, time.Now())
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	f := cmd.Flags()
	f.StringVar(&cluster, "cluster", "default", "cluster whose tasks to list")
	f.StringVar(&service, "service", "", "list only this service's tasks")
	f.BoolVarP(&all, "all", "a", false, "also list stopped tasks")
	f.StringVarP(&output, "output", "o", "table", "output format: table or json")
	addEndpointFlag(cmd, &endpoint)
	return cmd
}

// listTasks lists and describes a cluster's tasks, sorted by group, then
// creation time.
func listTasks(ctx context.Context, c *ecsJSON, cluster, service string, all bool) ([]ecswire.Task, error) {
	statuses := []ecswire.DesiredStatus{ecswire.DesiredStatusRunning}
	if all {
		statuses = append(statuses, ecswire.DesiredStatusStopped)
	}
	var arns []string
	for _, status := range statuses {
		for next := ""; ; {
			var page ecswire.ListTasksResponse
			in := ecswire.ListTasksRequest{Cluster: cluster, ServiceName: service, DesiredStatus: status, NextToken: next}
			if err := c.call(ctx, "ListTasks", in, &page); err != nil {
				return nil, err
			}
			arns = append(arns, page.TaskArns...)
			if next = page.NextToken; next == "" {
				break
			}
		}
	}
	tasks := []ecswire.Task{}
	for chunk := range slices.Chunk(arns, 100) {
		var resp ecswire.DescribeTasksResponse
		if err := c.call(ctx, "DescribeTasks", ecswire.DescribeTasksRequest{Cluster: cluster, Tasks: chunk}, &resp); err != nil {
			return nil, err
		}
		tasks = append(tasks, resp.Tasks...)
	}
	slices.SortStableFunc(tasks, func(a, b ecswire.Task) int {
		return cmp.Or(strings.Compare(a.Group, b.Group), timeOf(a.CreatedAt).Compare(timeOf(b.CreatedAt)))
	})
	return tasks, nil
}

func writeTasksTable(w io.Writer, tasks []ecswire.Task, now time.Time) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tGROUP\tTASK DEFINITION\tLAST STATUS\tHEALTH\tSTARTED\tPORTS")
	for _, t := range tasks {
		id := taskIDOf(t.TaskArn)
		id = id[:min(len(id), 12)]
		started := ""
		if t.StartedAt != nil {
			started = ago(now.Sub(t.StartedAt.Time))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, orDash(t.Group), familyRevision(t.TaskDefinitionArn), t.LastStatus,
			orDash(string(t.HealthStatus)), orDash(started), orDash(taskPorts(t)))
	}
	return tw.Flush()
}

// taskPorts lists a task's port bindings, hostPort->containerPort/protocol
// like "docker ps", or its private address in awsvpc mode.
func taskPorts(t ecswire.Task) string {
	var out []string
	for _, c := range t.Containers {
		for _, b := range c.NetworkBindings {
			if b.HostPort == nil || b.ContainerPort == nil {
				continue
			}
			out = append(out, fmt.Sprintf("%d->%d/%s", *b.HostPort, *b.ContainerPort, cmp.Or(string(b.Protocol), "tcp")))
		}
		for _, ni := range c.NetworkInterfaces {
			if ni.PrivateIpv4Address != "" && !slices.Contains(out, ni.PrivateIpv4Address) {
				out = append(out, ni.PrivateIpv4Address)
			}
		}
	}
	return strings.Join(out, ", ")
}

// ago is a duration in the largest whole unit: "45s ago", "12m ago",
// "5h ago", "3d ago".
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func timeOf(t *awsjson.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}
