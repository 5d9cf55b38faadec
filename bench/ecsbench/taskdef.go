package main

import (
	"encoding/json"
	"fmt"
)

// The request shapes below are the subset of RegisterTaskDefinition that a
// typical service's task definition uses. Field order follows the ECS API
// model, as the AWS CLI sends it; the encoding is compact, as botocore's is.
type (
	taskDefRequest struct {
		Family                  string         `json:"family"`
		TaskRoleArn             string         `json:"taskRoleArn"`
		ExecutionRoleArn        string         `json:"executionRoleArn"`
		NetworkMode             string         `json:"networkMode"`
		ContainerDefinitions    []containerDef `json:"containerDefinitions"`
		RequiresCompatibilities []string       `json:"requiresCompatibilities"`
		CPU                     string         `json:"cpu"`
		Memory                  string         `json:"memory"`
		Tags                    []keyValue     `json:"tags"`
	}
	containerDef struct {
		Name              string            `json:"name"`
		Image             string            `json:"image"`
		CPU               int               `json:"cpu"`
		MemoryReservation int               `json:"memoryReservation"`
		PortMappings      []portMapping     `json:"portMappings,omitempty"`
		Essential         bool              `json:"essential"`
		Command           []string          `json:"command,omitempty"`
		Environment       []nameValue       `json:"environment,omitempty"`
		DependsOn         []dependency      `json:"dependsOn,omitempty"`
		Ulimits           []ulimit          `json:"ulimits,omitempty"`
		DockerLabels      map[string]string `json:"dockerLabels,omitempty"`
		LogConfiguration  logConfiguration  `json:"logConfiguration"`
		HealthCheck       *healthCheck      `json:"healthCheck,omitempty"`
	}
	portMapping struct {
		ContainerPort int    `json:"containerPort"`
		HostPort      int    `json:"hostPort"`
		Protocol      string `json:"protocol"`
	}
	nameValue struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	keyValue struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	dependency struct {
		ContainerName string `json:"containerName"`
		Condition     string `json:"condition"`
	}
	ulimit struct {
		Name      string `json:"name"`
		SoftLimit int    `json:"softLimit"`
		HardLimit int    `json:"hardLimit"`
	}
	logConfiguration struct {
		LogDriver string            `json:"logDriver"`
		Options   map[string]string `json:"options"`
	}
	healthCheck struct {
		Command     []string `json:"command"`
		Interval    int      `json:"interval"`
		Timeout     int      `json:"timeout"`
		Retries     int      `json:"retries"`
		StartPeriod int      `json:"startPeriod"`
	}
)

const benchAccount = "123456789012"

// familyName is the name of benchmark family f.
func familyName(f int) string { return fmt.Sprintf("bench-svc-%03d", f) }

// taskDefBody returns the RegisterTaskDefinition body for the n-th
// registration of family f: an application container and a metrics sidecar,
// about 1.75 KB, with the image tag and one variable changing per build the
// way a CI pipeline's registrations do.
func taskDefBody(f, n int) ([]byte, error) {
	family := familyName(f)
	logs := func(stream string) logConfiguration {
		return logConfiguration{LogDriver: "awslogs", Options: map[string]string{
			"awslogs-group":         "/ecs/" + family,
			"awslogs-region":        "us-east-1",
			"awslogs-stream-prefix": stream,
		}}
	}
	req := taskDefRequest{
		Family:           family,
		TaskRoleArn:      "arn:aws:iam::" + benchAccount + ":role/" + family + "-task",
		ExecutionRoleArn: "arn:aws:iam::" + benchAccount + ":role/ecsTaskExecutionRole",
		NetworkMode:      "bridge",
		ContainerDefinitions: []containerDef{
			{
				Name:              "app",
				Image:             fmt.Sprintf("%s.dkr.ecr.us-east-1.amazonaws.com/%s:build-%d", benchAccount, family, n),
				CPU:               384,
				MemoryReservation: 384,
				PortMappings:      []portMapping{{ContainerPort: 8080, HostPort: 0, Protocol: "tcp"}},
				Essential:         true,
				Environment: []nameValue{
					{Name: "APP_ENV", Value: "production"},
					{Name: "LOG_LEVEL", Value: "info"},
					{Name: "PORT", Value: "8080"},
					{Name: "BUILD", Value: fmt.Sprintf("%d", n)},
					{Name: "DATABASE_HOST", Value: family + ".cluster-c9akciq32.us-east-1.rds.amazonaws.com"},
					{Name: "OTEL_EXPORTER_OTLP_ENDPOINT", Value: "http://localhost:4317"},
				},
				DependsOn:        []dependency{{ContainerName: "otel-collector", Condition: "START"}},
				Ulimits:          []ulimit{{Name: "nofile", SoftLimit: 65536, HardLimit: 65536}},
				DockerLabels:     map[string]string{"com.example.service": family, "com.example.team": "platform"},
				LogConfiguration: logs("app"),
				HealthCheck: &healthCheck{
					Command:  []string{"CMD-SHELL", "curl -fsS http://localhost:8080/healthz || exit 1"},
					Interval: 10, Timeout: 5, Retries: 3, StartPeriod: 15,
				},
			},
			{
				Name:              "otel-collector",
				Image:             "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0",
				CPU:               128,
				MemoryReservation: 128,
				Essential:         false,
				Command:           []string{"--config=/etc/ecs/ecs-default-config.yaml"},
				LogConfiguration:  logs("otel"),
			},
		},
		RequiresCompatibilities: []string{"EC2"},
		CPU:                     "512",
		Memory:                  "1024",
		Tags:                    []keyValue{{Key: "team", Value: "platform"}, {Key: "service", Value: family}},
	}
	return json.Marshal(req)
}
