package taskrun

import (
	"testing"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

func TestContainerHealth(t *testing.T) {
	tests := []struct {
		hasCheck bool
		runtime  string
		want     string
	}{
		{false, runtime.HealthHealthy, model.HealthUnknown}, // an image HEALTHCHECK does not count
		{true, "", model.HealthUnknown},
		{true, runtime.HealthStarting, model.HealthUnknown},
		{true, runtime.HealthHealthy, model.HealthHealthy},
		{true, runtime.HealthUnhealthy, model.HealthUnhealthy},
	}
	for _, tt := range tests {
		if got := containerHealth(tt.hasCheck, tt.runtime); got != tt.want {
			t.Errorf("containerHealth(%v, %q) = %q, want %q", tt.hasCheck, tt.runtime, got, tt.want)
		}
	}
}

func TestTaskHealth(t *testing.T) {
	h := func(name string, essential bool, health string) containerView {
		return containerView{Name: name, Essential: essential, Health: health}
	}
	tests := []struct {
		name string
		cs   []containerView
		want string
	}{
		{"all essential healthy", []containerView{h("a", true, model.HealthHealthy), h("b", true, model.HealthHealthy)}, model.HealthHealthy},
		{"unknown beats healthy", []containerView{h("a", true, model.HealthHealthy), h("b", true, model.HealthUnknown)}, model.HealthUnknown},
		{"unhealthy beats unknown", []containerView{h("a", true, model.HealthUnknown), h("b", true, model.HealthUnhealthy)}, model.HealthUnhealthy},
		{"non-essential containers do not count", []containerView{h("a", true, model.HealthHealthy), h("b", false, model.HealthUnhealthy)}, model.HealthHealthy},
		{"no essential container", []containerView{h("a", false, model.HealthHealthy)}, model.HealthUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := taskHealth(tt.cs); got != tt.want {
				t.Errorf("taskHealth = %q, want %q", got, tt.want)
			}
		})
	}
}
