package awsjson

import (
	"errors"
	"testing"
	"time"
)

// taskDefinition is a small stand-in for a generated request: nested
// structs, lists, maps, pointers and a Timestamp.
type taskDefinition struct {
	Family               string                `json:"family,omitempty"`
	Cpu                  string                `json:"cpu,omitempty"`
	ContainerDefinitions []containerDefinition `json:"containerDefinitions,omitempty"`
	Tags                 []tag                 `json:"tags,omitempty"`
	RegisteredAt         *Timestamp            `json:"registeredAt,omitempty"`
	EphemeralStorage     *ephemeralStorage     `json:"ephemeralStorage,omitempty"`
}

type containerDefinition struct {
	Name         string            `json:"name,omitempty"`
	Memory       *int32            `json:"memory,omitempty"`
	Essential    *bool             `json:"essential,omitempty"`
	PortMappings []portMapping     `json:"portMappings,omitempty"`
	DockerLabels map[string]string `json:"dockerLabels,omitempty"`
	Command      []string          `json:"command,omitempty"`
}

type portMapping struct {
	ContainerPort *int32 `json:"containerPort,omitempty"`
	Protocol      string `json:"protocol,omitempty"`
}

type tag struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

type ephemeralStorage struct {
	SizeInGiB int32 `json:"sizeInGiB"`
}

func TestDecodeAccepts(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(taskDefinition) bool
	}{
		{"empty body", "", func(v taskDefinition) bool { return v.Family == "" && v.ContainerDefinitions == nil }},
		{"whitespace", " \n\t", func(v taskDefinition) bool { return v.Family == "" }},
		{"empty object", "{}", func(v taskDefinition) bool { return v.Family == "" && v.RegisteredAt == nil }},
		{"null", "null", func(v taskDefinition) bool { return v.Family == "" }},
		{"unknown members ignored", `{"family":"web","newMember":{"x":[1,2]},"trustedExecutionConfiguration":{}}`,
			func(v taskDefinition) bool { return v.Family == "web" }},
		{"nested", `{"family":"web","containerDefinitions":[{"name":"app","memory":512,"essential":true,
			"portMappings":[{"containerPort":80,"protocol":"tcp"}],"dockerLabels":{"a":"b"}}]}`,
			func(v taskDefinition) bool {
				c := v.ContainerDefinitions[0]
				return c.Name == "app" && *c.Memory == 512 && *c.Essential && *c.PortMappings[0].ContainerPort == 80 &&
					c.DockerLabels["a"] == "b"
			}},
		{"timestamp number", `{"registeredAt":1732572345.123}`,
			func(v taskDefinition) bool { return v.RegisteredAt.Equal(time.UnixMilli(1732572345123)) }},
		{"timestamp string", `{"registeredAt":"2024-11-25T22:05:45.123Z"}`,
			func(v taskDefinition) bool { return v.RegisteredAt.Equal(time.UnixMilli(1732572345123)) }},
		{"timestamp null", `{"registeredAt":null}`, func(v taskDefinition) bool { return v.RegisteredAt == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v taskDefinition
			if err := Decode([]byte(tt.body), &v); err != nil {
				t.Fatalf("Decode(%s): %v", tt.body, err)
			}
			if !tt.check(v) {
				t.Fatalf("Decode(%s) = %+v", tt.body, v)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantField string
		wantMsg   string
	}{
		{"syntax error", `{"family":`, "", ""},
		{"trailing garbage", `{"family":"web"} x`, "", ""},
		{"two objects", `{}{}`, "", ""},
		{"not an object", `[1,2]`, "", "Malformed request body: expected object, got array"},
		{"string for number", `{"containerDefinitions":[{"memory":"512"}]}`, "containerDefinitions.memory",
			"Invalid type for field containerDefinitions.memory: expected integer, got string"},
		{"number overflows int32", `{"containerDefinitions":[{"memory":4294967296}]}`, "containerDefinitions.memory", ""},
		{"object for string", `{"family":{}}`, "family", "Invalid type for field family: expected string, got object"},
		{"plain number in struct", `{"ephemeralStorage":{"sizeInGiB":true}}`, "ephemeralStorage.sizeInGiB", ""},
		{"map value", `{"containerDefinitions":[{"dockerLabels":{"a":1}}]}`, "containerDefinitions.dockerLabels", ""},
		{"list element", `{"containerDefinitions":[{"command":[1]}]}`, "containerDefinitions.command", ""},
		{"bad timestamp", `{"registeredAt":"soon"}`, "registeredAt",
			`Invalid type for field registeredAt: expected timestamp, got string "soon"`},
		{"timestamp object", `{"registeredAt":{}}`, "registeredAt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v taskDefinition
			err := Decode([]byte(tt.body), &v)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode(%s) error = %v, want *DecodeError", tt.body, err)
			}
			if de.Field != tt.wantField {
				t.Fatalf("Decode(%s) Field = %q, want %q (%v)", tt.body, de.Field, tt.wantField, err)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Fatalf("Decode(%s) error = %q, want %q", tt.body, err.Error(), tt.wantMsg)
			}
		})
	}
}

func TestDecodeSyntaxErrorMessage(t *testing.T) {
	err := Decode([]byte(`{"family":`), &taskDefinition{})
	if got, want := err.Error(), "Malformed request body: unexpected end of JSON input (at byte 10)"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestDecodeNonPointerIsNotDecodeError(t *testing.T) {
	err := Decode([]byte(`{}`), taskDefinition{})
	var de *DecodeError
	if err == nil || errors.As(err, &de) {
		t.Fatalf("Decode into non-pointer error = %v, want a non-DecodeError", err)
	}
}
