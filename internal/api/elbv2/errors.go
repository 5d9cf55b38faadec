package elbv2

import (
	"errors"
	"fmt"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/elbv2/elbv2wire"
	"github.com/wharfhq/wharf/internal/state"
)

func validationError(format string, args ...any) error {
	return api.Errorf("ValidationError", format, args...)
}

func invalidConfig(format string, args ...any) error {
	return api.Errorf(elbv2wire.ErrInvalidConfigurationRequestException, format, args...)
}

func lbNotFound() error {
	return api.Errorf(elbv2wire.ErrLoadBalancerNotFoundException, "One or more load balancers not found")
}

func tgNotFound() error {
	return api.Errorf(elbv2wire.ErrTargetGroupNotFoundException, "One or more target groups not found")
}

func listenerNotFound() error {
	return api.Errorf(elbv2wire.ErrListenerNotFoundException, "One or more listeners not found")
}

func ruleNotFound() error {
	return api.Errorf(elbv2wire.ErrRuleNotFoundException, "One or more rules not found")
}

// mapStateError turns state sentinels no handler translated more precisely
// into ELBv2 errors; anything else stays an internal error.
func mapStateError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, state.ErrTooManyTargets):
		return api.Errorf(elbv2wire.ErrTooManyTargetsException, "You've reached the limit on the number of targets per target group (%d)", maxTargetsPerGroup)
	}
	if _, ok := api.AsError(err); ok {
		return err
	}
	return fmt.Errorf("state: %w", err)
}
