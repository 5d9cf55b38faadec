package ecs_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/server"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func simpleTaskDef(family string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name:         aws.String("app"),
			Image:        aws.String("wharf-testapp:latest"),
			Memory:       aws.Int32(64),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
		}},
	}
}

func TestTaskDefinitionLifecycle(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)

	in := &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("web"),
		Cpu:    aws.String("1 vCPU"),
		Memory: aws.String("0.5GB"),
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("app:1"), Cpu: 256, MemoryReservation: aws.Int32(128),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(0)}},
				HealthCheck:  &types.HealthCheck{Command: []string{"CMD", "/testapp", "healthcheck"}},
				DependsOn:    []types.ContainerDependency{{ContainerName: aws.String("init"), Condition: types.ContainerConditionSuccess}},
				MountPoints:  []types.MountPoint{{SourceVolume: aws.String("scratch"), ContainerPath: aws.String("/data")}},
				Environment:  []types.KeyValuePair{{Name: aws.String("A"), Value: aws.String("1")}}},
			{Name: aws.String("init"), Image: aws.String("app:1"), Essential: aws.Bool(false), Command: []string{"migrate"}},
		},
		Volumes: []types.Volume{{Name: aws.String("scratch")}},
		Tags:    []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}},
	}
	reg := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, in))
	td := reg.TaskDefinition
	if got, want := aws.ToString(td.TaskDefinitionArn), "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"; got != want {
		t.Fatalf("arn = %s, want %s", got, want)
	}
	if td.Revision != 1 || td.Status != types.TaskDefinitionStatusActive || td.NetworkMode != types.NetworkModeBridge ||
		aws.ToString(td.Cpu) != "1024" || aws.ToString(td.Memory) != "512" || td.RegisteredAt == nil || len(reg.Tags) != 1 {
		t.Fatalf("registered = %+v", td)
	}
	app := td.ContainerDefinitions[0]
	if !aws.ToBool(app.Essential) || app.PortMappings[0].Protocol != types.TransportProtocolTcp ||
		aws.ToInt32(app.HealthCheck.Interval) != 30 || aws.ToInt32(app.HealthCheck.Timeout) != 5 || aws.ToInt32(app.HealthCheck.Retries) != 3 {
		t.Fatalf("defaults not filled: %+v", app)
	}
	if !slices.Contains(td.Compatibilities, types.CompatibilityEc2) {
		t.Fatalf("compatibilities = %v", td.Compatibilities)
	}
	if !slices.ContainsFunc(td.RequiresAttributes, func(a types.Attribute) bool {
		return aws.ToString(a.Name) == "ecs.capability.container-health-check"
	}) {
		t.Fatalf("requiresAttributes = %+v", td.RequiresAttributes)
	}

	for i := 2; i <= 3; i++ {
		r := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, in))
		if r.TaskDefinition.Revision != int32(i) {
			t.Fatalf("revision = %d, want %d", r.TaskDefinition.Revision, i)
		}
	}
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, simpleTaskDef("api")))

	// Describe by family (latest ACTIVE), family:revision and ARN.
	for ref, rev := range map[string]int32{"web": 3, "web:2": 2, "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1": 1} {
		d := must[*ecs.DescribeTaskDefinitionOutput](t)(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)}))
		if d.TaskDefinition.Revision != rev || len(d.Tags) != 0 {
			t.Fatalf("describe %s = revision %d, tags %v", ref, d.TaskDefinition.Revision, d.Tags)
		}
	}
	for _, ref := range []string{"nope", "web:99", "web:x", "arn:aws:ecs:us-east-1:000000000000:cluster/web"} {
		_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		wantErr[*types.ClientException](t, err)
	}

	// Deregister revision 3: describe by family now falls back to 2.
	dr := must[*ecs.DeregisterTaskDefinitionOutput](t)(c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:3")}))
	if dr.TaskDefinition.Status != types.TaskDefinitionStatusInactive || dr.TaskDefinition.DeregisteredAt == nil {
		t.Fatalf("deregistered = %+v", dr.TaskDefinition)
	}
	d := must[*ecs.DescribeTaskDefinitionOutput](t)(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web")}))
	if d.TaskDefinition.Revision != 2 {
		t.Fatalf("latest active = %d", d.TaskDefinition.Revision)
	}
	_, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web")})
	wantErr[*types.ClientException](t, err)
	_, err = c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:42")})
	wantErr[*types.ClientException](t, err)

	// Lists.
	l := must[*ecs.ListTaskDefinitionsOutput](t)(c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{}))
	if fmt.Sprint(revs(l.TaskDefinitionArns)) != "[api:1 web:1 web:2]" {
		t.Fatalf("list = %v", l.TaskDefinitionArns)
	}
	l = must[*ecs.ListTaskDefinitionsOutput](t)(c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{Sort: types.SortOrderDesc, FamilyPrefix: aws.String("web")}))
	if fmt.Sprint(revs(l.TaskDefinitionArns)) != "[web:2 web:1]" {
		t.Fatalf("list desc = %v", l.TaskDefinitionArns)
	}
	l = must[*ecs.ListTaskDefinitionsOutput](t)(c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{Status: types.TaskDefinitionStatusInactive}))
	if fmt.Sprint(revs(l.TaskDefinitionArns)) != "[web:3]" {
		t.Fatalf("list inactive = %v", l.TaskDefinitionArns)
	}
	fam := must[*ecs.ListTaskDefinitionFamiliesOutput](t)(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String("w")}))
	if fmt.Sprint(fam.Families) != "[web]" {
		t.Fatalf("families = %v", fam.Families)
	}

	// Delete: only INACTIVE revisions; the rest are failures.
	del := must[*ecs.DeleteTaskDefinitionsOutput](t)(c.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{
		TaskDefinitions: []string{"web:3", "web:2", "web:77", "bad:"}}))
	if len(del.TaskDefinitions) != 1 || del.TaskDefinitions[0].Status != types.TaskDefinitionStatusDeleteInProgress ||
		del.TaskDefinitions[0].DeleteRequestedAt == nil || len(del.Failures) != 3 {
		t.Fatalf("delete = %+v", del)
	}
	_, err = c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:3")})
	wantErr[*types.ClientException](t, err)
	// Revision numbers are never reused.
	r := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, simpleTaskDef("web")))
	if r.TaskDefinition.Revision != 4 {
		t.Fatalf("next revision = %d, want 4", r.TaskDefinition.Revision)
	}

	// Family status: "api" deregistered entirely becomes INACTIVE.
	must[*ecs.DeregisterTaskDefinitionOutput](t)(c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("api:1")}))
	inactive := must[*ecs.ListTaskDefinitionFamiliesOutput](t)(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{Status: types.TaskDefinitionFamilyStatusInactive}))
	active := must[*ecs.ListTaskDefinitionFamiliesOutput](t)(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{Status: types.TaskDefinitionFamilyStatusActive}))
	all := must[*ecs.ListTaskDefinitionFamiliesOutput](t)(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{}))
	if fmt.Sprint(inactive.Families) != "[api]" || fmt.Sprint(active.Families) != "[web]" || fmt.Sprint(all.Families) != "[api web]" {
		t.Fatalf("families inactive=%v active=%v all=%v", inactive.Families, active.Families, all.Families)
	}
}

func revs(arns []string) []string {
	out := make([]string, len(arns))
	for i, a := range arns {
		out[i] = a[len("arn:aws:ecs:us-east-1:000000000000:task-definition/"):]
	}
	return out
}

func TestTaskDefinitionValidationErrors(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	cases := map[string]func(*ecs.RegisterTaskDefinitionInput){
		"no memory": func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Memory = nil },
		"duplicate names": func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions = append(in.ContainerDefinitions, in.ContainerDefinitions[0])
		},
		"no essential": func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Essential = aws.Bool(false) },
		"fargate bridge": func(in *ecs.RegisterTaskDefinitionInput) {
			in.RequiresCompatibilities = []types.Compatibility{types.CompatibilityFargate}
		},
		"awsvpc port mismatch": func(in *ecs.RegisterTaskDefinitionInput) {
			in.NetworkMode = types.NetworkModeAwsvpc
			in.ContainerDefinitions[0].PortMappings[0].HostPort = aws.Int32(9090)
		},
		"bad family": func(in *ecs.RegisterTaskDefinitionInput) { in.Family = aws.String("has space") },
		"dependsOn self": func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].DependsOn = []types.ContainerDependency{{ContainerName: aws.String("ghost"), Condition: types.ContainerConditionStart}}
		},
		"eleven containers": func(in *ecs.RegisterTaskDefinitionInput) {
			for i := range 10 {
				cd := in.ContainerDefinitions[0]
				cd.Name = aws.String(fmt.Sprintf("c%d", i))
				in.ContainerDefinitions = append(in.ContainerDefinitions, cd)
			}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			in := simpleTaskDef("v")
			mutate(in)
			_, err := c.RegisterTaskDefinition(ctx, in)
			if err == nil {
				t.Fatalf("registered an invalid task definition")
			}
			var ce *types.ClientException
			var ip *types.InvalidParameterException
			if !errorAs(err, &ce) && !errorAs(err, &ip) {
				t.Fatalf("error = %v (%T), want ClientException or InvalidParameterException", err, err)
			}
		})
	}
	// Nothing invalid was stored.
	l := must[*ecs.ListTaskDefinitionFamiliesOutput](t)(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{}))
	if len(l.Families) != 0 {
		t.Fatalf("families after invalid registrations = %v", l.Families)
	}
}

// TestConcurrentRevisions: 50 concurrent registrations of one family get
// revisions 1..50, each exactly once.
func TestConcurrentRevisions(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const n = 50
	got := make([]int32, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.RegisterTaskDefinition(ctx, simpleTaskDef("race"))
			if err != nil {
				errs <- err
				return
			}
			got[i] = out.TaskDefinition.Revision
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("register: %v", err)
	}
	slices.Sort(got)
	for i, r := range got {
		if r != int32(i+1) {
			t.Fatalf("revisions = %v, want 1..%d exactly once", got, n)
		}
	}
	// And they are all listable, across pages.
	var arns []string
	p := ecs.NewListTaskDefinitionsPaginator(c, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("race"), MaxResults: aws.Int32(7)})
	for p.HasMorePages() {
		out := must[*ecs.ListTaskDefinitionsOutput](t)(p.NextPage(ctx))
		arns = append(arns, out.TaskDefinitionArns...)
	}
	if len(arns) != n || revs(arns)[0] != "race:1" || revs(arns)[n-1] != "race:50" {
		t.Fatalf("paged list: %d arns, first %v", len(arns), revs(arns)[:3])
	}
}

// TestDeletedTaskDefinitionIsPurged: a deleted revision is DELETE_IN_PROGRESS,
// then gone; its number is still never reused.
func TestDeletedTaskDefinitionIsPurged(t *testing.T) {
	ctx := context.Background()
	srv := wharftest.StartWith(t, server.Config{DataDir: t.TempDir(), PurgeInterval: 50 * time.Millisecond, PurgeGrace: time.Nanosecond})
	c := wharftest.ECS(srv.URL())
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, simpleTaskDef("gone")))
	must[*ecs.DeregisterTaskDefinitionOutput](t)(c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("gone:1")}))
	must[*ecs.DeleteTaskDefinitionsOutput](t)(c.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{"gone:1"}}))
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("gone:1")})
		if err != nil {
			wantErr[*types.ClientException](t, err)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deleted task definition still describable after 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, simpleTaskDef("gone")))
	if r.TaskDefinition.Revision != 2 {
		t.Fatalf("revision after purge = %d, want 2", r.TaskDefinition.Revision)
	}
}
