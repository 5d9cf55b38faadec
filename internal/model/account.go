package model

// AccountSetting is an ECS account setting such as containerInsights or
// taskLongArnFormat. PrincipalARN is empty for the account default.
type AccountSetting struct {
	Name         string `json:"name"`
	Value        string `json:"value"`
	PrincipalARN string `json:"principalArn,omitempty"`
	Type         string `json:"type,omitempty"` // "user" or "aws_managed"
}
