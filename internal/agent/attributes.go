package agent

import (
	goruntime "runtime"

	"github.com/wharfhq/wharf/internal/model"
)

// BuiltinAttributes are the ECS attributes a wharf agent reports: the
// ecs.* facts of the host and the capabilities it really implements, which
// placement matches against task definitions' requiresAttributes. Secrets
// from SSM/Secrets Manager and S3 environment files are not advertised:
// they cannot be fetched locally, so such tasks fail placement with
// ATTRIBUTE instead of failing later.
func BuiltinAttributes(region string) []model.Attribute {
	arch := goruntime.GOARCH
	if arch == "amd64" {
		arch = "x86_64"
	}
	attrs := []model.Attribute{
		{Name: "ecs.os-type", Value: "linux"},
		{Name: "ecs.os-family", Value: "LINUX"},
		{Name: "ecs.cpu-architecture", Value: arch},
		{Name: "ecs.availability-zone", Value: region + "a"},
		{Name: "ecs.instance-type", Value: "wharf.local"},
	}
	for _, c := range []string{
		"com.amazonaws.ecs.capability.privileged-container",
		"com.amazonaws.ecs.capability.docker-remote-api.1.17",
		"com.amazonaws.ecs.capability.docker-remote-api.1.18",
		"com.amazonaws.ecs.capability.docker-remote-api.1.19",
		"com.amazonaws.ecs.capability.docker-remote-api.1.20",
		"com.amazonaws.ecs.capability.docker-remote-api.1.21",
		"com.amazonaws.ecs.capability.docker-remote-api.1.22",
		"com.amazonaws.ecs.capability.docker-remote-api.1.23",
		"com.amazonaws.ecs.capability.docker-remote-api.1.24",
		"com.amazonaws.ecs.capability.docker-remote-api.1.25",
		"com.amazonaws.ecs.capability.docker-remote-api.1.26",
		"com.amazonaws.ecs.capability.docker-remote-api.1.27",
		"com.amazonaws.ecs.capability.docker-remote-api.1.28",
		"com.amazonaws.ecs.capability.docker-remote-api.1.29",
		"com.amazonaws.ecs.capability.docker-remote-api.1.30",
		"com.amazonaws.ecs.capability.docker-remote-api.1.31",
		"com.amazonaws.ecs.capability.docker-remote-api.1.32",
		"com.amazonaws.ecs.capability.docker-remote-api.1.38",
		"com.amazonaws.ecs.capability.docker-remote-api.1.39",
		"com.amazonaws.ecs.capability.docker-remote-api.1.40",
		"com.amazonaws.ecs.capability.docker-remote-api.1.41",
		"com.amazonaws.ecs.capability.logging-driver.awslogs",
		"com.amazonaws.ecs.capability.logging-driver.json-file",
		"com.amazonaws.ecs.capability.logging-driver.none",
		"com.amazonaws.ecs.capability.task-iam-role",
		"com.amazonaws.ecs.capability.task-iam-role-network-host",
		"com.amazonaws.ecs.capability.ecr-auth",
		"ecs.capability.execution-role-awslogs",
		"ecs.capability.execution-role-ecr-pull",
		"ecs.capability.task-eni",
		"ecs.capability.container-health-check",
		"ecs.capability.container-ordering",
		"ecs.capability.env-files.s3",
		"ecs.capability.pid-ipc-namespace-sharing",
		"ecs.capability.docker-plugin.local",
	} {
		attrs = append(attrs, model.Attribute{Name: c})
	}
	return attrs
}
