package scheduler

import "strings"

// constraintSet is the validated constraints of a request.
type constraintSet struct {
	distinct bool
	static   []Expr // results do not change as tasks are placed
	dynamic  []Expr // task:group or runningTasksCount inside
}

func compileConstraints(constraints []Constraint, parse func(string) (Expr, error)) (constraintSet, error) {
	var cs constraintSet
	if len(constraints) > MaxConstraints {
		return cs, invalidf("The number of placement constraints must not exceed %d.", MaxConstraints)
	}
	for _, c := range constraints {
		switch {
		case strings.EqualFold(c.Type, "distinctInstance"):
			if c.Expression != "" {
				return cs, invalidf("Expression is not allowed for placement constraint of type distinctInstance.")
			}
			cs.distinct = true
		case strings.EqualFold(c.Type, "memberOf"):
			if strings.TrimSpace(c.Expression) == "" {
				return cs, invalidf("Expression is required for placement constraint of type memberOf.")
			}
			e, err := parse(c.Expression)
			if err != nil {
				return cs, invalidf("Invalid expression %s: %v.", c.Expression, err)
			}
			if e.dynamic() {
				cs.dynamic = append(cs.dynamic, e)
			} else {
				cs.static = append(cs.static, e)
			}
		default:
			return cs, invalidf("Invalid placement constraint type %s. Valid values are distinctInstance and memberOf.", c.Type)
		}
	}
	return cs, nil
}
