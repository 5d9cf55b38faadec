package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func taskDef(family string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("app:1"), Memory: aws.Int32(32),
		}},
	}
}

// TestKill9KeepsAcknowledgedState registers 100 task definitions, kills the
// server with SIGKILL, restarts it on the same data dir and checks that
// every acknowledged revision is there with the same ARN and that the next
// registration continues the sequence.
func TestKill9KeepsAcknowledgedState(t *testing.T) {
	dir := t.TempDir()
	ctx := ctxTimeout(t, 3*time.Minute)
	p := startServer(t, dir)
	c := wharftest.ECS(p.url)

	acked := map[string]bool{}
	for i := range 100 {
		out, err := c.RegisterTaskDefinition(ctx, taskDef(fmt.Sprintf("fam%d", i%4)))
		if err != nil {
			t.Fatalf("register %d: %v", i, err)
		}
		acked[aws.ToString(out.TaskDefinition.TaskDefinitionArn)] = true
	}
	p.kill()

	p2 := startServer(t, dir)
	c = wharftest.ECS(p2.url)
	for arn := range acked {
		d, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		if err != nil {
			t.Fatalf("after kill -9, %s: %v", arn, err)
		}
		if aws.ToString(d.TaskDefinition.TaskDefinitionArn) != arn {
			t.Fatalf("ARN changed: %s → %s", arn, aws.ToString(d.TaskDefinition.TaskDefinitionArn))
		}
	}
	var listed int
	pg := ecs.NewListTaskDefinitionsPaginator(c, &ecs.ListTaskDefinitionsInput{})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		listed += len(out.TaskDefinitionArns)
	}
	if listed != 100 {
		t.Fatalf("listed %d task definitions after restart, want 100", listed)
	}
	next, err := c.RegisterTaskDefinition(ctx, taskDef("fam0"))
	if err != nil {
		t.Fatal(err)
	}
	if next.TaskDefinition.Revision != 26 {
		t.Fatalf("next revision of fam0 = %d, want 26", next.TaskDefinition.Revision)
	}
}

// TestSIGTERMShutsDownCleanly checks that SIGTERM exits 0 and that a
// restarted server serves the same state.
func TestSIGTERMShutsDownCleanly(t *testing.T) {
	dir := t.TempDir()
	ctx := ctxTimeout(t, 2*time.Minute)
	p := startServer(t, dir)
	c := wharftest.ECS(p.url)
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("survivor")}); err != nil {
		t.Fatal(err)
	}
	p.stop(t)
	p2 := startServer(t, dir)
	out, err := wharftest.ECS(p2.url).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"survivor"}})
	if err != nil || len(out.Clusters) != 1 || aws.ToString(out.Clusters[0].Status) != "ACTIVE" {
		t.Fatalf("after restart: %+v %v", out, err)
	}
}

// TestSecondProcessOnSameDataDir checks that a second server refuses a data
// dir in use instead of corrupting it.
func TestSecondProcessOnSameDataDir(t *testing.T) {
	dir := t.TempDir()
	startServer(t, dir)
	out, err := runWharf(t, "server", "--listen", "127.0.0.1:0", "--data-dir", dir)
	if err == nil {
		t.Fatalf("second server started on a data dir in use:\n%s", out)
	}
	if !containsAll(out, "in use") {
		t.Fatalf("second server error does not say the data dir is in use:\n%s", out)
	}
}
