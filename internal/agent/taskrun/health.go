package taskrun

import (
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

// containerHealth maps the runtime's health onto ECS's: no health check or
// "starting" → UNKNOWN, healthy → HEALTHY, unhealthy → UNHEALTHY. Health
// checks baked into the image do not count (ecs.md 2.7).
func containerHealth(hasHealthCheck bool, runtimeHealth string) string {
	if !hasHealthCheck {
		return model.HealthUnknown
	}
	switch runtimeHealth {
	case runtime.HealthHealthy:
		return model.HealthHealthy
	case runtime.HealthUnhealthy:
		return model.HealthUnhealthy
	}
	return model.HealthUnknown
}

// taskHealth aggregates the essential containers' health with priority
// UNHEALTHY > UNKNOWN > HEALTHY (ecs.md 2.7); without essential containers
// it is UNKNOWN.
func taskHealth(cs []containerView) string {
	health, any := model.HealthHealthy, false
	for _, c := range cs {
		if !c.Essential {
			continue
		}
		any = true
		switch c.Health {
		case model.HealthUnhealthy:
			return model.HealthUnhealthy
		case model.HealthHealthy:
		default:
			health = model.HealthUnknown
		}
	}
	if !any {
		return model.HealthUnknown
	}
	return health
}
