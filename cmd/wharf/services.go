package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
)

const listExitCodes = `
Exit status: 0 success, 1 error (server unreachable, cluster not found, …),
2 usage error.`

func newServicesCmd() *cobra.Command {
	var cluster, output, endpoint string
	cmd := &cobra.Command{
		Use:   "services",
		Short: "List a cluster's services and their rollout state",
		Long: `List the services of a cluster, sorted by name: NAME, STATUS, DESIRED,
RUNNING, PENDING, TASK DEFINITION (family:revision of the PRIMARY deployment)
and ROLLOUT (the PRIMARY deployment's rolloutState).

-o json prints {"services": [...]} in the shape of the DescribeServices
response, as "aws ecs describe-services" prints it.
` + listExitCodes,
		Example: `  wharf services --cluster prod
  wharf services --cluster prod -o json | jq '.services[].deployments'`,
		Args: cobra.ArbitraryArgs,
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected argument %q", args[0])
			}
			format, err := parseOutputFormat(output)
			if err != nil {
				return err
			}
			svcs, err := listServices(cmd.Context(), newCLIClients(endpoint).json, cluster)
			if err != nil {
				return err
			}
			if format == outputJSON {
				return writeJSON(cmd.OutOrStdout(), struct {
					Services []ecswire.Service `json:"services"`
				}{svcs})
			}
			return writeServicesTable(cmd.OutOrStdout(), svcs)
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	cmd.Flags().StringVar(&cluster, "cluster", "default", "cluster whose services to list")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	addEndpointFlag(cmd, &endpoint)
	return cmd
}

// listServices lists and describes every ACTIVE or DRAINING service of a
// cluster (ListServices hides INACTIVE ones), sorted by name.
func listServices(ctx context.Context, c *ecsJSON, cluster string) ([]ecswire.Service, error) {
	var arns []string
	for next := ""; ; {
		var page ecswire.ListServicesResponse
		if err := c.call(ctx, "ListServices", ecswire.ListServicesRequest{Cluster: cluster, NextToken: next}, &page); err != nil {
			return nil, err
		}
		arns = append(arns, page.ServiceArns...)
		if next = page.NextToken; next == "" {
			break
		}
	}
	svcs := []ecswire.Service{}
	for chunk := range slices.Chunk(arns, 10) {
		var resp ecswire.DescribeServicesResponse
		if err := c.call(ctx, "DescribeServices", ecswire.DescribeServicesRequest{Cluster: cluster, Services: chunk}, &resp); err != nil {
			return nil, err
		}
		svcs = append(svcs, resp.Services...)
	}
	slices.SortFunc(svcs, func(a, b ecswire.Service) int { return strings.Compare(a.ServiceName, b.ServiceName) })
	return svcs, nil
}

func writeServicesTable(w io.Writer, svcs []ecswire.Service) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tSTATUS\tDESIRED\tRUNNING\tPENDING\tTASK DEFINITION\tROLLOUT")
	for _, s := range svcs {
		rollout := ""
		for _, d := range s.Deployments {
			if d.Status == "PRIMARY" {
				rollout = string(d.RolloutState)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", s.ServiceName, s.Status, s.DesiredCount, s.RunningCount, s.PendingCount,
			orDash(familyRevision(s.TaskDefinition)), orDash(rollout))
	}
	return tw.Flush()
}
