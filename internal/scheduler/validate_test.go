package scheduler

import (
	"errors"
	"testing"
)

func TestValidate(t *testing.T) {
	six := make([]Strategy, 6)
	for i := range six {
		six[i] = Strategy{Type: "random"}
	}
	eleven := make([]Constraint, 11)
	for i := range eleven {
		eleven[i] = Constraint{Type: "distinctInstance"}
	}
	tests := []struct {
		name        string
		strategies  []Strategy
		constraints []Constraint
		want        string // "" = valid
	}{
		{"empty", nil, nil, ""},
		{"all kinds", []Strategy{{"spread", "attribute:ecs.availability-zone"}, {"spread", "instanceId"}, {"spread", "host"}, {"binpack", "MEMORY"}, {"random", ""}},
			[]Constraint{{"distinctInstance", ""}, {"memberOf", "attribute:ecs.os-type == linux"}}, ""},
		{"too many strategies", six, nil, "The number of placement strategies must not exceed 5."},
		{"too many constraints", nil, eleven, "The number of placement constraints must not exceed 10."},
		{"unknown strategy", []Strategy{{"pack", "cpu"}}, nil, "Invalid placement strategy type pack. Valid values are random, spread and binpack."},
		{"binpack field", []Strategy{{"binpack", "instanceId"}}, nil, "Invalid field instanceId for placement strategy of type binpack. Valid values are cpu and memory."},
		{"binpack no field", []Strategy{{"binpack", ""}}, nil, "Field is required for placement strategy of type binpack."},
		{"spread field", []Strategy{{"spread", "cpu"}}, nil, "Invalid field cpu for placement strategy of type spread. Valid values are instanceId, host and attribute:<name>."},
		{"spread no field", []Strategy{{"spread", ""}}, nil, "Field is required for placement strategy of type spread."},
		{"random with field", []Strategy{{"random", "cpu"}}, nil, "Field is not allowed for placement strategy of type random."},
		{"unknown constraint", nil, []Constraint{{"sameZone", ""}}, "Invalid placement constraint type sameZone. Valid values are distinctInstance and memberOf."},
		{"distinct with expression", nil, []Constraint{{"distinctInstance", "attribute:a exists"}}, "Expression is not allowed for placement constraint of type distinctInstance."},
		{"memberOf without expression", nil, []Constraint{{"memberOf", " "}}, "Expression is required for placement constraint of type memberOf."},
		{"memberOf bad expression", nil, []Constraint{{"memberOf", "attribute:a =="}}, "Invalid expression attribute:a ==: expected a value at position 14."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.strategies, tt.constraints)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tt.want == "":
			case err == nil || err.Error() != tt.want || !errors.Is(err, ErrInvalidParameter):
				t.Fatalf("Validate = %v, want %q wrapping ErrInvalidParameter", err, tt.want)
			}
		})
	}
}

func TestPlaceRejectsInvalidRequests(t *testing.T) {
	cluster := []Instance{newInst("a", "z1", 1024, 1024)}
	for _, req := range []TaskRequest{
		{Family: "web", Strategy: []Strategy{{"spread", "cpu"}}},
		{Family: "web", CPU: -1},
		{Family: "web", Ports: []PortKey{{"sctp", 80}}},
		{Family: "web", Ports: []PortKey{{"tcp", 70000}}},
	} {
		if _, err := Place(cluster, req, 1, nil); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("Place(%+v) error = %v, want ErrInvalidParameter", req, err)
		}
	}
	if _, err := Place(cluster, TaskRequest{Family: "web"}, -1, nil); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("negative count: error = %v", err)
	}
	if plan, err := Place(cluster, TaskRequest{Family: "web"}, 0, nil); err != nil || len(plan.Placements)+len(plan.Failures) != 0 {
		t.Errorf("count 0: %s, %v", fmtPlan(plan), err)
	}
}
