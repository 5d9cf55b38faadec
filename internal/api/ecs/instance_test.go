package ecs_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestContainerInstances(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}))

	reg := must[*ecs.RegisterContainerInstanceOutput](t)(c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{
		Cluster:        aws.String("prod"),
		TotalResources: testResources(),
		VersionInfo:    &types.VersionInfo{AgentVersion: aws.String("1.0.0"), DockerVersion: aws.String("20.10")},
		Attributes:     []types.Attribute{{Name: aws.String("ecs.os-type"), Value: aws.String("linux")}, {Name: aws.String("stack"), Value: aws.String("blue")}},
		Tags:           []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
	}))
	ci := reg.ContainerInstance
	arn := aws.ToString(ci.ContainerInstanceArn)
	if aws.ToString(ci.Status) != "ACTIVE" || !ci.AgentConnected || len(ci.RegisteredResources) != 4 ||
		len(ci.RemainingResources) != 4 || ci.RegisteredAt == nil || ci.Version != 1 {
		t.Fatalf("registered = %+v", ci)
	}
	if want := "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/"; len(arn) != len(want)+32 || arn[:len(want)] != want {
		t.Fatalf("arn = %s", arn)
	}

	// Re-registration with the ARN keeps the instance.
	re := must[*ecs.RegisterContainerInstanceOutput](t)(c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{
		Cluster: aws.String("prod"), ContainerInstanceArn: aws.String(arn), TotalResources: testResources()}))
	if aws.ToString(re.ContainerInstance.ContainerInstanceArn) != arn || re.ContainerInstance.Version != 2 {
		t.Fatalf("re-registered = %+v", re.ContainerInstance)
	}
	second := must[*ecs.RegisterContainerInstanceOutput](t)(c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{
		Cluster: aws.String("prod"), TotalResources: testResources(),
		Attributes: []types.Attribute{{Name: aws.String("stack"), Value: aws.String("green")}}}))
	arn2 := aws.ToString(second.ContainerInstance.ContainerInstanceArn)

	// Describe by ARN and by id; include TAGS; missing → MISSING.
	id := arn[len(arn)-32:]
	d := must[*ecs.DescribeContainerInstancesOutput](t)(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{
		Cluster: aws.String("prod"), ContainerInstances: []string{arn, id, "0123456789abcdef0123456789abcdef"},
		Include: []types.ContainerInstanceField{types.ContainerInstanceFieldTags}}))
	if len(d.ContainerInstances) != 2 || len(d.Failures) != 1 || aws.ToString(d.Failures[0].Reason) != "MISSING" {
		t.Fatalf("describe = %+v", d)
	}
	if len(d.ContainerInstances[0].Tags) != 0 {
		// Re-registration without tags replaced them, as ECS does.
		t.Fatalf("tags after re-registration = %+v", d.ContainerInstances[0].Tags)
	}

	// List with status and CQL filters, and pagination.
	list := must[*ecs.ListContainerInstancesOutput](t)(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("prod")}))
	if len(list.ContainerInstanceArns) != 2 {
		t.Fatalf("list = %v", list.ContainerInstanceArns)
	}
	page := must[*ecs.ListContainerInstancesOutput](t)(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("prod"), MaxResults: aws.Int32(1)}))
	if len(page.ContainerInstanceArns) != 1 || page.NextToken == nil {
		t.Fatalf("page = %+v", page)
	}
	filtered := must[*ecs.ListContainerInstancesOutput](t)(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{
		Cluster: aws.String("prod"), Filter: aws.String("attribute:stack == green")}))
	if len(filtered.ContainerInstanceArns) != 1 || filtered.ContainerInstanceArns[0] != arn2 {
		t.Fatalf("filtered = %v", filtered.ContainerInstanceArns)
	}
	_, err := c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("prod"), Filter: aws.String("attribute:stack ==")})
	wantErr[*types.InvalidParameterException](t, err)

	// Drain and re-activate.
	up := must[*ecs.UpdateContainerInstancesStateOutput](t)(c.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{
		Cluster: aws.String("prod"), ContainerInstances: []string{arn, "missing00000000000000000000000000"}, Status: types.ContainerInstanceStatusDraining}))
	if len(up.ContainerInstances) != 1 || aws.ToString(up.ContainerInstances[0].Status) != "DRAINING" || len(up.Failures) != 1 {
		t.Fatalf("update = %+v", up)
	}
	draining := must[*ecs.ListContainerInstancesOutput](t)(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{
		Cluster: aws.String("prod"), Status: types.ContainerInstanceStatusDraining}))
	if len(draining.ContainerInstanceArns) != 1 {
		t.Fatalf("draining = %v", draining.ContainerInstanceArns)
	}
	_, err = c.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{
		Cluster: aws.String("prod"), ContainerInstances: []string{arn}, Status: types.ContainerInstanceStatusRegistering})
	wantErr[*types.InvalidParameterException](t, err)
	must[*ecs.UpdateContainerInstancesStateOutput](t)(c.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{
		Cluster: aws.String("prod"), ContainerInstances: []string{arn}, Status: types.ContainerInstanceStatusActive}))

	// Deregister: INACTIVE, hidden from lists, still describable.
	dr := must[*ecs.DeregisterContainerInstanceOutput](t)(c.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{
		Cluster: aws.String("prod"), ContainerInstance: aws.String(arn)}))
	if aws.ToString(dr.ContainerInstance.Status) != "INACTIVE" {
		t.Fatalf("deregistered = %+v", dr.ContainerInstance)
	}
	list = must[*ecs.ListContainerInstancesOutput](t)(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("prod")}))
	if len(list.ContainerInstanceArns) != 1 {
		t.Fatalf("list after deregister = %v", list.ContainerInstanceArns)
	}
	_, err = c.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{Cluster: aws.String("prod"), ContainerInstance: aws.String(arn)})
	wantErr[*types.InvalidParameterException](t, err)

	// Errors.
	_, err = c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{Cluster: aws.String("nope")})
	wantErr[*types.ClusterNotFoundException](t, err)
	_, err = c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("nope"), ContainerInstances: []string{id}})
	wantErr[*types.ClusterNotFoundException](t, err)
	_, err = c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("nope")})
	wantErr[*types.ClusterNotFoundException](t, err)
	_, err = c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{Cluster: aws.String("prod"),
		TotalResources: []types.Resource{{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: []string{"99999"}}}})
	wantErr[*types.InvalidParameterException](t, err)
	var many []string
	for i := range 11 {
		many = append(many, fmt.Sprintf("%032d", i))
	}
	_, err = c.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{
		Cluster: aws.String("prod"), ContainerInstances: many, Status: types.ContainerInstanceStatusActive})
	wantErr[*types.InvalidParameterException](t, err)
}

func TestDefaultClusterCreatedOnRegistration(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	must[*ecs.RegisterContainerInstanceOutput](t)(c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{TotalResources: testResources()}))
	d := must[*ecs.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{}))
	if len(d.Clusters) != 1 || aws.ToString(d.Clusters[0].ClusterName) != "default" || d.Clusters[0].RegisteredContainerInstancesCount != 1 {
		t.Fatalf("default cluster = %+v", d)
	}
}

func TestAttributes(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("a")}))
	reg := must[*ecs.RegisterContainerInstanceOutput](t)(c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{
		Cluster: aws.String("a"), TotalResources: testResources(),
		Attributes: []types.Attribute{{Name: aws.String("ecs.os-type"), Value: aws.String("linux")}}}))
	arn := reg.ContainerInstance.ContainerInstanceArn
	id := aws.ToString(arn)[len(aws.ToString(arn))-32:]

	put := must[*ecs.PutAttributesOutput](t)(c.PutAttributes(ctx, &ecs.PutAttributesInput{Cluster: aws.String("a"),
		Attributes: []types.Attribute{{Name: aws.String("zone"), Value: aws.String("x1"), TargetId: aws.String(id)}}}))
	if aws.ToString(put.Attributes[0].TargetId) != aws.ToString(arn) || put.Attributes[0].TargetType != types.TargetTypeContainerInstance {
		t.Fatalf("put = %+v", put.Attributes)
	}
	l := must[*ecs.ListAttributesOutput](t)(c.ListAttributes(ctx, &ecs.ListAttributesInput{Cluster: aws.String("a"),
		TargetType: types.TargetTypeContainerInstance, AttributeName: aws.String("zone")}))
	if len(l.Attributes) != 1 || aws.ToString(l.Attributes[0].Value) != "x1" {
		t.Fatalf("list = %+v", l.Attributes)
	}
	all := must[*ecs.ListAttributesOutput](t)(c.ListAttributes(ctx, &ecs.ListAttributesInput{Cluster: aws.String("a"), TargetType: types.TargetTypeContainerInstance}))
	if len(all.Attributes) != 2 {
		t.Fatalf("all attributes = %+v", all.Attributes)
	}
	pg := must[*ecs.ListAttributesOutput](t)(c.ListAttributes(ctx, &ecs.ListAttributesInput{Cluster: aws.String("a"), TargetType: types.TargetTypeContainerInstance, MaxResults: aws.Int32(1)}))
	if len(pg.Attributes) != 1 || pg.NextToken == nil {
		t.Fatalf("page = %+v", pg)
	}
	// The filter sees custom attributes too.
	f := must[*ecs.ListContainerInstancesOutput](t)(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{
		Cluster: aws.String("a"), Filter: aws.String("attribute:zone == x1")}))
	if len(f.ContainerInstanceArns) != 1 {
		t.Fatalf("filter = %v", f.ContainerInstanceArns)
	}
	must[*ecs.DeleteAttributesOutput](t)(c.DeleteAttributes(ctx, &ecs.DeleteAttributesInput{Cluster: aws.String("a"),
		Attributes: []types.Attribute{{Name: aws.String("zone"), TargetId: arn}}}))
	l = must[*ecs.ListAttributesOutput](t)(c.ListAttributes(ctx, &ecs.ListAttributesInput{Cluster: aws.String("a"),
		TargetType: types.TargetTypeContainerInstance, AttributeName: aws.String("zone")}))
	if len(l.Attributes) != 0 {
		t.Fatalf("after delete = %+v", l.Attributes)
	}

	// Limit of 10 custom attributes per resource.
	var attrs []types.Attribute
	for i := range 11 {
		attrs = append(attrs, types.Attribute{Name: aws.String(fmt.Sprintf("a%d", i)), Value: aws.String("v"), TargetId: arn})
	}
	_, err := c.PutAttributes(ctx, &ecs.PutAttributesInput{Cluster: aws.String("a"), Attributes: attrs})
	wantErr[*types.AttributeLimitExceededException](t, err)
	_, err = c.PutAttributes(ctx, &ecs.PutAttributesInput{Cluster: aws.String("a"),
		Attributes: []types.Attribute{{Name: aws.String("x"), Value: aws.String("v"), TargetId: aws.String("00000000000000000000000000000000")}}})
	wantErr[*types.TargetNotFoundException](t, err)
	_, err = c.PutAttributes(ctx, &ecs.PutAttributesInput{Cluster: aws.String("a"),
		Attributes: []types.Attribute{{Name: aws.String("bad name!"), Value: aws.String("v"), TargetId: arn}}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.DeleteAttributes(ctx, &ecs.DeleteAttributesInput{Cluster: aws.String("a"),
		Attributes: []types.Attribute{{Name: aws.String("x"), TargetId: aws.String("00000000000000000000000000000000")}}})
	wantErr[*types.TargetNotFoundException](t, err)
	_, err = c.ListAttributes(ctx, &ecs.ListAttributesInput{Cluster: aws.String("a"), TargetType: types.TargetTypeContainerInstance, AttributeValue: aws.String("x")})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.ListAttributes(ctx, &ecs.ListAttributesInput{Cluster: aws.String("zz"), TargetType: types.TargetTypeContainerInstance})
	wantErr[*types.ClusterNotFoundException](t, err)
}
