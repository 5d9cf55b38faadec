package state

import (
	"context"
	"encoding/json"

	"github.com/wharfhq/wharf/internal/model"
)

// DefaultPrincipal keys the account-wide default settings.
const DefaultPrincipal = "_default"

func settingKey(principal, name string) string {
	if principal == "" {
		principal = DefaultPrincipal
	}
	return prefixSettings + principal + "/" + name
}

// PutAccountSetting stores a setting for a principal ("" = account default).
func (s *State) PutAccountSetting(ctx context.Context, set model.AccountSetting) error {
	buf, err := json.Marshal(set)
	if err != nil {
		return err
	}
	rev, err := s.store.Put(ctx, settingKey(set.PrincipalARN, set.Name), buf)
	if err != nil {
		return err
	}
	return s.synced(ctx, rev)
}

// AccountSetting returns the setting stored for exactly this principal.
func (s *State) AccountSetting(principal, name string) (*model.AccountSetting, bool) {
	v, _, ok := get[model.AccountSetting](s, settingKey(principal, name))
	return v, ok
}

// AccountSettings returns the settings stored for one principal
// ("" = account defaults), sorted by name.
func (s *State) AccountSettings(principal string) []*model.AccountSetting {
	if principal == "" {
		principal = DefaultPrincipal
	}
	return list[model.AccountSetting](s, prefixSettings+principal+"/")
}

// AllAccountSettings returns every stored setting.
func (s *State) AllAccountSettings() []*model.AccountSetting {
	return list[model.AccountSetting](s, prefixSettings)
}

// DeleteAccountSetting removes a setting of a principal.
func (s *State) DeleteAccountSetting(ctx context.Context, principal, name string) error {
	return s.remove(ctx, settingKey(principal, name))
}
