package ecswire

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/api/awsjson"
)

func ptr[T any](v T) *T { return &v }

// validTaskDefinition is a request the real ECS API accepts.
func validTaskDefinition() RegisterTaskDefinitionRequest {
	return RegisterTaskDefinitionRequest{
		Family:      "web",
		NetworkMode: NetworkModeAwsvpc,
		ContainerDefinitions: []ContainerDefinition{{
			Name:  "app",
			Image: "nginx:1.27",
			PortMappings: []PortMapping{
				{ContainerPort: ptr(int32(80)), Protocol: TransportProtocolTcp},
				{ContainerPort: ptr(int32(443)), Protocol: TransportProtocolTcp},
			},
			DockerLabels: map[string]string{"com.example.team": "infra"},
		}},
		RequiresCompatibilities: []Compatibility{CompatibilityFargate},
		Tags:                    []Tag{{Key: "env", Value: "prod"}},
	}
}

func TestRegisterTaskDefinitionValidate(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(*RegisterTaskDefinitionRequest)
		wantField  string
		wantReason string
	}{
		{"valid", func(*RegisterTaskDefinitionRequest) {}, "", ""},
		{"missing family", func(r *RegisterTaskDefinitionRequest) { r.Family = "" }, "family", "is required"},
		{"missing containerDefinitions", func(r *RegisterTaskDefinitionRequest) { r.ContainerDefinitions = nil },
			"containerDefinitions", "is required"},
		{"container without name", func(r *RegisterTaskDefinitionRequest) { r.ContainerDefinitions[0].Name = "" },
			"containerDefinitions[0].name", "is required"},
		{"container without image", func(r *RegisterTaskDefinitionRequest) { r.ContainerDefinitions[0].Image = "" },
			"containerDefinitions[0].image", "is required"},
		{"invalid networkMode", func(r *RegisterTaskDefinitionRequest) { r.NetworkMode = "overlay" },
			"networkMode", "must be one of: bridge, host, awsvpc, none"},
		{"invalid port protocol", func(r *RegisterTaskDefinitionRequest) {
			r.ContainerDefinitions[0].PortMappings[1].Protocol = "sctp"
		}, "containerDefinitions[0].portMappings[1].protocol", "must be one of: tcp, udp"},
		{"invalid compatibility", func(r *RegisterTaskDefinitionRequest) {
			r.RequiresCompatibilities = append(r.RequiresCompatibilities, "LAMBDA")
		}, "requiresCompatibilities[1]", "must be one of: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES"},
		{"tag key too long", func(r *RegisterTaskDefinitionRequest) {
			r.Tags = append(r.Tags, Tag{Key: "ok"}, Tag{Key: strings.Repeat("ü", 129)})
		}, "tags[2].key", "length must be at most 128"},
		{"tag key at max in runes", func(r *RegisterTaskDefinitionRequest) {
			r.Tags = append(r.Tags, Tag{Key: strings.Repeat("ü", 128)})
		}, "", ""},
		{"too many tags", func(r *RegisterTaskDefinitionRequest) { r.Tags = make([]Tag, 51) },
			"tags", "length must be at most 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validTaskDefinition()
			tt.mutate(&req)
			err := req.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *awsjson.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want *awsjson.ValidationError", err)
			}
			if ve.Field != tt.wantField || ve.Reason != tt.wantReason {
				t.Fatalf("Validate() = {%q, %q}, want {%q, %q}", ve.Field, ve.Reason, tt.wantField, tt.wantReason)
			}
		})
	}
}

// TestDecodeThenValidate runs a body as the AWS CLI sends it through the
// same path a handler does.
func TestDecodeThenValidate(t *testing.T) {
	body := `{"family":"web","networkMode":"awsvpc","containerDefinitions":[{"image":"nginx","memory":512,
		"portMappings":[{"containerPort":80,"protocol":"tcp"}]}],"someFutureMember":true}`
	var req RegisterTaskDefinitionRequest
	if err := awsjson.Decode([]byte(body), &req); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	err := req.Validate()
	if got, want := err.Error(), "Invalid value for field containerDefinitions[0].name: is required"; got != want {
		t.Fatalf("Validate() = %q, want %q", got, want)
	}
}

func TestDescribeClustersResponseJSON(t *testing.T) {
	in := DescribeClustersResponse{
		Clusters: []Cluster{{
			ClusterArn:        "arn:aws:ecs:us-east-1:000000000000:cluster/default",
			ClusterName:       "default",
			Status:            "ACTIVE",
			RunningTasksCount: 3,
			Settings:          []ClusterSetting{{Name: ClusterSettingNameContainerInsights, Value: "enabled"}},
		}},
		Failures: []Failure{{Arn: "arn:aws:ecs:us-east-1:000000000000:cluster/missing", Reason: "MISSING"}},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	// Non-boxed counts are always sent, even when zero, as AWS does.
	want := `{"clusters":[{"activeServicesCount":0,"clusterArn":"arn:aws:ecs:us-east-1:000000000000:cluster/default",` +
		`"clusterName":"default","pendingTasksCount":0,"registeredContainerInstancesCount":0,"runningTasksCount":3,` +
		`"settings":[{"name":"containerInsights","value":"enabled"}],"status":"ACTIVE"}],` +
		`"failures":[{"arn":"arn:aws:ecs:us-east-1:000000000000:cluster/missing","reason":"MISSING"}]}`
	if string(data) != want {
		t.Fatalf("Marshal =\n%s\nwant\n%s", data, want)
	}
	var out DescribeClustersResponse
	if err := awsjson.Decode(data, &out); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	again, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("Marshal again: %v", err)
	}
	if string(again) != string(data) {
		t.Fatalf("round trip =\n%s\nwant\n%s", again, data)
	}
}

func TestTimestampRoundTrip(t *testing.T) {
	created := time.UnixMilli(1732572345123).UTC()
	in := DescribeTasksResponse{Tasks: []Task{{
		TaskArn:    "arn:aws:ecs:us-east-1:000000000000:task/default/abc",
		LastStatus: "RUNNING",
		CreatedAt:  awsjson.NewTimestamp(created),
		StartedAt:  awsjson.NewTimestamp(time.Time{}),
	}}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if !strings.Contains(string(data), `"createdAt":1732572345.123`) || strings.Contains(string(data), "startedAt") {
		t.Fatalf("Marshal = %s, want createdAt as epoch seconds and no startedAt", data)
	}
	var out DescribeTasksResponse
	if err := awsjson.Decode(data, &out); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got := out.Tasks[0].CreatedAt; got == nil || !got.Equal(created) {
		t.Fatalf("createdAt = %v, want %v", got, created)
	}
	if out.Tasks[0].StartedAt != nil {
		t.Fatalf("startedAt = %v, want nil", out.Tasks[0].StartedAt)
	}
}

func TestTables(t *testing.T) {
	if got, want := Exceptions[ErrClusterNotFoundException], (awsjson.ExceptionInfo{HTTPStatus: 400}); got != want {
		t.Fatalf("Exceptions[ClusterNotFoundException] = %+v, want %+v", got, want)
	}
	if got, want := Exceptions[ErrServerException], (awsjson.ExceptionInfo{HTTPStatus: 500, Fault: true}); got != want {
		t.Fatalf("Exceptions[ServerException] = %+v, want %+v", got, want)
	}
	var found bool
	for i, op := range Operations {
		if i > 0 && Operations[i-1].Name >= op.Name {
			t.Fatalf("Operations not sorted at %s", op.Name)
		}
		if op.Name == "RegisterTaskDefinition" {
			found = op.Input == "RegisterTaskDefinitionRequest" && op.Output == "RegisterTaskDefinitionResponse"
		}
	}
	if !found {
		t.Fatal("Operations lacks RegisterTaskDefinition with its request and response shapes")
	}
	if got, want := TargetPrefix, "AmazonEC2ContainerServiceV20141113"; got != want {
		t.Fatalf("TargetPrefix = %q, want %q", got, want)
	}
	if got := LaunchType("").Values(); len(got) == 0 || got[0] != LaunchTypeEc2 {
		t.Fatalf("LaunchType.Values() = %v", got)
	}
}

func BenchmarkValidateRegisterTaskDefinition(b *testing.B) {
	req := validTaskDefinition()
	b.ReportAllocs()
	for b.Loop() {
		if err := req.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
