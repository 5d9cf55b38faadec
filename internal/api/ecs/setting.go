package ecs

import (
	"context"
	"slices"

	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
)

// rootPrincipal stands for the caller: wharf has no IAM identities, so
// every request acts as the account root.
func (h *Handler) rootPrincipal() string {
	return "arn:aws:iam::" + h.st.ARNs.Account + ":root"
}

// awsDefaults are the values ECS reports for settings nobody has set.
var awsDefaults = []model.AccountSetting{
	{Name: "awsvpcTrunking", Value: "disabled"},
	{Name: "containerInsights", Value: "disabled"},
	{Name: "containerInstanceLongArnFormat", Value: "enabled"},
	{Name: "defaultLogDriverMode", Value: "non-blocking"},
	{Name: "fargateEventWindows", Value: "disabled"},
	{Name: "fargateFIPSMode", Value: "disabled"},
	{Name: "fargateTaskRetirementWaitPeriod", Value: "7"},
	{Name: "guardDutyActivate", Value: "off"},
	{Name: "serviceLongArnFormat", Value: "enabled"},
	{Name: "tagResourceAuthorization", Value: "on"},
	{Name: "taskLongArnFormat", Value: "enabled"},
}

// settingValues lists the values each setting accepts.
var settingValues = map[string][]string{
	"awsvpcTrunking":                  {"enabled", "disabled"},
	"containerInsights":               {"enabled", "disabled", "enhanced"},
	"containerInstanceLongArnFormat":  {"enabled", "disabled"},
	"defaultLogDriverMode":            {"blocking", "non-blocking"},
	"fargateEventWindows":             {"enabled", "disabled"},
	"fargateFIPSMode":                 {"enabled", "disabled"},
	"fargateTaskRetirementWaitPeriod": {"0", "7", "14"},
	"guardDutyActivate":               {"on", "off"},
	"serviceLongArnFormat":            {"enabled", "disabled"},
	"tagResourceAuthorization":        {"on", "off"},
	"taskLongArnFormat":               {"enabled", "disabled"},
}

func checkSetting(name, value string) error {
	allowed, ok := settingValues[name]
	if !ok {
		return invalidParameter("name %s is not a valid account setting.", name)
	}
	if !slices.Contains(allowed, value) {
		return invalidParameter("value %q is not valid for setting %s; valid values are %v.", value, name, allowed)
	}
	return nil
}

func settingToWire(s *model.AccountSetting) *ecswire.Setting {
	return &ecswire.Setting{Name: ecswire.SettingName(s.Name), Value: s.Value,
		PrincipalArn: s.PrincipalARN, Type: ecswire.SettingType(s.Type)}
}

// PutAccountSetting sets a setting for a principal (the caller by default).
func (h *Handler) PutAccountSetting(ctx context.Context, in *ecswire.PutAccountSettingRequest) (*ecswire.PutAccountSettingResponse, error) {
	if err := checkSetting(string(in.Name), in.Value); err != nil {
		return nil, err
	}
	principal := in.PrincipalArn
	if principal == "" {
		principal = h.rootPrincipal()
	}
	s := model.AccountSetting{Name: string(in.Name), Value: in.Value, PrincipalARN: principal, Type: "user"}
	if err := h.st.PutAccountSetting(ctx, s); err != nil {
		return nil, mapStateError(err)
	}
	return &ecswire.PutAccountSettingResponse{Setting: settingToWire(&s)}, nil
}

// PutAccountSettingDefault sets the account-wide default of a setting.
func (h *Handler) PutAccountSettingDefault(ctx context.Context, in *ecswire.PutAccountSettingDefaultRequest) (*ecswire.PutAccountSettingDefaultResponse, error) {
	if err := checkSetting(string(in.Name), in.Value); err != nil {
		return nil, err
	}
	s := model.AccountSetting{Name: string(in.Name), Value: in.Value, Type: "user"}
	if err := h.st.PutAccountSetting(ctx, s); err != nil {
		return nil, mapStateError(err)
	}
	s.PrincipalARN = h.rootPrincipal()
	return &ecswire.PutAccountSettingDefaultResponse{Setting: settingToWire(&s)}, nil
}

// DeleteAccountSetting removes a principal's setting, which then falls
// back to the account default.
func (h *Handler) DeleteAccountSetting(ctx context.Context, in *ecswire.DeleteAccountSettingRequest) (*ecswire.DeleteAccountSettingResponse, error) {
	principal := in.PrincipalArn
	if principal == "" {
		principal = h.rootPrincipal()
	}
	s, ok := h.st.AccountSetting(principal, string(in.Name))
	if !ok {
		return nil, invalidParameter("No setting %s is set for principal %s.", in.Name, principal)
	}
	if err := h.st.DeleteAccountSetting(ctx, principal, string(in.Name)); err != nil && !errorsIsNotFound(err) {
		return nil, mapStateError(err)
	}
	return &ecswire.DeleteAccountSettingResponse{Setting: settingToWire(s)}, nil
}

// effectiveSetting returns what applies to principal: its own setting, else
// the account default, else the AWS default.
func (h *Handler) effectiveSetting(principal, name string) model.AccountSetting {
	if s, ok := h.st.AccountSetting(principal, name); ok {
		return *s
	}
	if s, ok := h.st.AccountSetting("", name); ok {
		out := *s
		out.PrincipalARN = principal
		return out
	}
	for _, d := range awsDefaults {
		if d.Name == name {
			d.PrincipalARN = principal
			d.Type = "aws_managed"
			return d
		}
	}
	return model.AccountSetting{Name: name, PrincipalARN: principal}
}

// ListAccountSettings lists the settings set for a principal or, with
// effectiveSettings, the settings in effect for it.
func (h *Handler) ListAccountSettings(_ context.Context, in *ecswire.ListAccountSettingsRequest) (*ecswire.ListAccountSettingsResponse, error) {
	principal := in.PrincipalArn
	if principal == "" {
		principal = h.rootPrincipal()
	}
	if in.Value != "" && in.Name == "" {
		return nil, invalidParameter("name is required when value is specified.")
	}
	var all []model.AccountSetting
	if in.EffectiveSettings {
		for _, d := range awsDefaults {
			all = append(all, h.effectiveSetting(principal, d.Name))
		}
	} else {
		for _, s := range h.st.AccountSettings(principal) {
			all = append(all, *s)
		}
	}
	var keys []string
	byName := map[string]model.AccountSetting{}
	for _, s := range all {
		if in.Name != "" && s.Name != string(in.Name) || in.Value != "" && s.Value != in.Value {
			continue
		}
		keys = append(keys, s.Name)
		byName[s.Name] = s
	}
	slices.Sort(keys)
	var max *int32
	if in.MaxResults != 0 {
		m := in.MaxResults
		max = &m
	}
	page, next, err := paginateOrdered("ListAccountSettings", keys, false, max, in.NextToken, 10)
	if err != nil {
		return nil, err
	}
	out := &ecswire.ListAccountSettingsResponse{Settings: []ecswire.Setting{}, NextToken: next}
	for _, k := range page {
		s := byName[k]
		out.Settings = append(out.Settings, *settingToWire(&s))
	}
	return out, nil
}
