package ecs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func newClient(t *testing.T) *ecs.Client {
	t.Helper()
	return wharftest.ECS(wharftest.Start(t).URL())
}

// wantErr fails the test unless err is (wraps) an error of type T.
func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("got error %v (%T), want %T", err, err, target)
	}
	return target
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func TestClusterLifecycle(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)

	created := must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{
		ClusterName: aws.String("web"),
		Tags:        []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
		Settings:    []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}},
		Configuration: &types.ClusterConfiguration{ExecuteCommandConfiguration: &types.ExecuteCommandConfiguration{
			Logging: types.ExecuteCommandLoggingDefault}},
	}))
	cl := created.Cluster
	if got, want := aws.ToString(cl.ClusterArn), "arn:aws:ecs:us-east-1:000000000000:cluster/web"; got != want {
		t.Fatalf("arn = %s, want %s", got, want)
	}
	if aws.ToString(cl.Status) != "ACTIVE" || len(cl.Tags) != 1 || len(cl.Settings) != 1 || cl.Configuration == nil {
		t.Fatalf("created cluster = %+v", cl)
	}

	// Creating an ACTIVE name again is idempotent and keeps the original.
	again := must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("web")}))
	if len(again.Cluster.Tags) != 1 {
		t.Fatalf("idempotent create changed the cluster: %+v", again.Cluster)
	}

	// Describe by name and ARN, with and without include; unknown → MISSING.
	d := must[*ecs.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{
		Clusters: []string{"web", aws.ToString(cl.ClusterArn), "nope"},
		Include:  []types.ClusterField{types.ClusterFieldTags, types.ClusterFieldSettings, types.ClusterFieldStatistics, types.ClusterFieldConfigurations},
	}))
	if len(d.Clusters) != 2 || len(d.Failures) != 1 || aws.ToString(d.Failures[0].Reason) != "MISSING" ||
		aws.ToString(d.Failures[0].Arn) != "arn:aws:ecs:us-east-1:000000000000:cluster/nope" {
		t.Fatalf("describe = %+v", d)
	}
	if len(d.Clusters[0].Statistics) == 0 || len(d.Clusters[0].Tags) != 1 || d.Clusters[0].Configuration == nil {
		t.Fatalf("include not honoured: %+v", d.Clusters[0])
	}
	plain := must[*ecs.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"web"}}))
	if len(plain.Clusters[0].Tags) != 0 || len(plain.Clusters[0].Settings) != 0 || len(plain.Clusters[0].Statistics) != 0 {
		t.Fatalf("fields returned without include: %+v", plain.Clusters[0])
	}

	// Update settings and capacity providers.
	up := must[*ecs.UpdateClusterSettingsOutput](t)(c.UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{
		Cluster:  aws.String("web"),
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("disabled")}},
	}))
	if aws.ToString(up.Cluster.Settings[0].Value) != "disabled" {
		t.Fatalf("settings = %+v", up.Cluster.Settings)
	}
	u2 := must[*ecs.UpdateClusterOutput](t)(c.UpdateCluster(ctx, &ecs.UpdateClusterInput{
		Cluster:                aws.String("web"),
		ServiceConnectDefaults: &types.ClusterServiceConnectDefaultsRequest{Namespace: aws.String("local")},
	}))
	if u2.Cluster.ServiceConnectDefaults == nil || aws.ToString(u2.Cluster.ServiceConnectDefaults.Namespace) != "local" {
		t.Fatalf("update cluster = %+v", u2.Cluster)
	}
	cp := must[*ecs.PutClusterCapacityProvidersOutput](t)(c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
		Cluster:                         aws.String("web"),
		CapacityProviders:               []string{"FARGATE", "FARGATE_SPOT"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1, Base: 1}},
	}))
	if len(cp.Cluster.CapacityProviders) != 2 || len(cp.Cluster.DefaultCapacityProviderStrategy) != 1 {
		t.Fatalf("capacity providers = %+v", cp.Cluster)
	}
	_, err := c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
		Cluster:                         aws.String("web"),
		CapacityProviders:               []string{"FARGATE"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("OTHER"), Weight: 1}},
	})
	wantErr[*types.InvalidParameterException](t, err)

	// Delete: INACTIVE, still describable, no longer listed or updatable.
	del := must[*ecs.DeleteClusterOutput](t)(c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("web")}))
	if aws.ToString(del.Cluster.Status) != "INACTIVE" {
		t.Fatalf("deleted status = %s", aws.ToString(del.Cluster.Status))
	}
	d = must[*ecs.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"web"}}))
	if len(d.Clusters) != 1 || aws.ToString(d.Clusters[0].Status) != "INACTIVE" {
		t.Fatalf("describe deleted = %+v", d)
	}
	_, err = c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("web")})
	wantErr[*types.ClusterNotFoundException](t, err)
	_, err = c.UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{Cluster: aws.String("web"),
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}})
	wantErr[*types.ClusterNotFoundException](t, err)
	_, err = c.UpdateCluster(ctx, &ecs.UpdateClusterInput{Cluster: aws.String("nope")})
	wantErr[*types.ClusterNotFoundException](t, err)
	_, err = c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("nope"),
		CapacityProviders: []string{}, DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{}})
	wantErr[*types.ClusterNotFoundException](t, err)

	// The name can be reused after deletion.
	re := must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("web")}))
	if aws.ToString(re.Cluster.Status) != "ACTIVE" || len(re.Cluster.Tags) != 0 {
		t.Fatalf("recreated = %+v", re.Cluster)
	}
}

func TestClusterValidation(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	for _, name := range []string{"bad name", "x/y", string(make([]byte, 256))} {
		_, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name)})
		wantErr[*types.InvalidParameterException](t, err)
	}
	_, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("a"),
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("maybe")}}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("a"),
		Tags: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("x")}}})
	wantErr[*types.InvalidParameterException](t, err)
	// The default cluster name applies when none is given.
	out := must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	if aws.ToString(out.Cluster.ClusterName) != "default" {
		t.Fatalf("default name = %s", aws.ToString(out.Cluster.ClusterName))
	}
}

func TestListClustersPagination(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("c%02d", i)
		must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name)}))
		want = append(want, "arn:aws:ecs:us-east-1:000000000000:cluster/"+name)
	}
	var got []string
	pages := 0
	p := ecs.NewListClustersPaginator(c, &ecs.ListClustersInput{MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		out := must[*ecs.ListClustersOutput](t)(p.NextPage(ctx))
		got = append(got, out.ClusterArns...)
		pages++
	}
	if pages != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages=%d got %v, want %v", pages, got, want)
	}
	_, err := c.ListClusters(ctx, &ecs.ListClustersInput{NextToken: aws.String("garbage")})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.ListClusters(ctx, &ecs.ListClustersInput{MaxResults: aws.Int32(101)})
	wantErr[*types.InvalidParameterException](t, err)
	// A token from another listing is refused.
	tds := must[*ecs.ListClustersOutput](t)(c.ListClusters(ctx, &ecs.ListClustersInput{MaxResults: aws.Int32(1)}))
	_, err = c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{NextToken: tds.NextToken})
	wantErr[*types.InvalidParameterException](t, err)
}

func TestDeleteClusterWithInstances(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("busy")}))
	reg := must[*ecs.RegisterContainerInstanceOutput](t)(c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{
		Cluster: aws.String("busy"), TotalResources: testResources()}))
	_, err := c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("busy")})
	wantErr[*types.ClusterContainsContainerInstancesException](t, err)
	d := must[*ecs.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"busy"}}))
	if d.Clusters[0].RegisteredContainerInstancesCount != 1 {
		t.Fatalf("registered count = %d", d.Clusters[0].RegisteredContainerInstancesCount)
	}
	must[*ecs.DeregisterContainerInstanceOutput](t)(c.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{
		Cluster: aws.String("busy"), ContainerInstance: reg.ContainerInstance.ContainerInstanceArn}))
	must[*ecs.DeleteClusterOutput](t)(c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("busy")}))
}

func testResources() []types.Resource {
	return []types.Resource{
		{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 2048},
		{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 3900},
		{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: []string{"22", "2375"}},
		{Name: aws.String("PORTS_UDP"), Type: aws.String("STRINGSET"), StringSetValue: []string{}},
	}
}

func errorAs[T any](err error, target *T) bool { return errors.As(err, target) }
