package scheduler_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/wharfhq/wharf/internal/scheduler"
)

func ExamplePlace() {
	cluster := []scheduler.Instance{
		{ARN: "arn:aws:ecs:us-east-1:1:container-instance/prod/a", ID: "a", Status: "ACTIVE",
			Attributes:   map[string]string{"ecs.availability-zone": "us-east-1a", "ecs.instance-type": "t3.large"},
			RemainingCPU: 2048, RemainingMemory: 4096},
		{ARN: "arn:aws:ecs:us-east-1:1:container-instance/prod/b", ID: "b", Status: "ACTIVE",
			Attributes:   map[string]string{"ecs.availability-zone": "us-east-1b", "ecs.instance-type": "t3.large"},
			RemainingCPU: 2048, RemainingMemory: 1024},
	}
	req := scheduler.TaskRequest{
		Group: "service:web", Family: "web", CPU: 512, Memory: 1024,
		Strategy:    []scheduler.Strategy{{Type: "spread", Field: "attribute:ecs.availability-zone"}, {Type: "binpack", Field: "memory"}},
		Constraints: []scheduler.Constraint{{Type: "memberOf", Expression: "attribute:ecs.instance-type =~ t3.*"}},
	}
	plan, err := scheduler.Place(cluster, req, 6, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	for _, d := range plan.Placements {
		fmt.Println(d.Index, d.InstanceARN)
	}
	for _, f := range plan.Failures {
		fmt.Println(f.Arn, f.Reason)
	}
	fmt.Println(plan.Explanation)
	// Output:
	// 0 arn:aws:ecs:us-east-1:1:container-instance/prod/b
	// 1 arn:aws:ecs:us-east-1:1:container-instance/prod/a
	// 2 arn:aws:ecs:us-east-1:1:container-instance/prod/a
	// 3 arn:aws:ecs:us-east-1:1:container-instance/prod/a
	// 4 arn:aws:ecs:us-east-1:1:container-instance/prod/a
	// arn:aws:ecs:us-east-1:1:container-instance/prod/a RESOURCE:CPU
	// arn:aws:ecs:us-east-1:1:container-instance/prod/b RESOURCE:MEMORY
	// no container instance met all of its requirements. The closest matching (container-instance b) has insufficient memory available. For more information, see the Troubleshooting section.
}

func ExampleParseExpression() {
	e, err := scheduler.ParseExpression("attribute:ecs.instance-type =~ t2.* and not(task:group == service:db)")
	if err != nil {
		panic(err)
	}
	in := scheduler.Instance{Attributes: map[string]string{"ecs.instance-type": "t2.small"}}
	fmt.Println(e)
	fmt.Println(e.Match(in))
	// Output:
	// attribute:ecs.instance-type =~ t2.* and not task:group == service:db
	// true
}
