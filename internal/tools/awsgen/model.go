package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Model is the subset of a botocore service-2.json model that awsgen reads.
type Model struct {
	Metadata   Metadata              `json:"metadata"`
	Operations map[string]*Operation `json:"operations"`
	Shapes     map[string]*Shape     `json:"shapes"`
}

// Metadata is the model's service description.
type Metadata struct {
	APIVersion   string `json:"apiVersion"`
	JSONVersion  string `json:"jsonVersion"`
	Protocol     string `json:"protocol"`
	TargetPrefix string `json:"targetPrefix"`
	UID          string `json:"uid"`
	XMLNamespace string `json:"xmlNamespace"`
}

// Operation is one API action.
type Operation struct {
	Name   string     `json:"name"`
	Input  *ShapeRef  `json:"input"`
	Output *ShapeRef  `json:"output"`
	Errors []ShapeRef `json:"errors"`
}

// ShapeRef points at a shape from a member, a list/map, or an operation.
type ShapeRef struct {
	Shape        string `json:"shape"`
	LocationName string `json:"locationName"`
	Box          bool   `json:"box"`
	// ResultWrapper names the element wrapping an operation's output in
	// the query protocol (<ActionResult>).
	ResultWrapper string `json:"resultWrapper"`
	Flattened     bool   `json:"flattened"`
}

// Shape is a named type of the model. Which fields are set depends on Type.
type Shape struct {
	Type      string               `json:"type"`
	Members   map[string]*ShapeRef `json:"members"`
	Required  []string             `json:"required"`
	Enum      []string             `json:"enum"`
	Min       *jsonNumber          `json:"min"`
	Max       *jsonNumber          `json:"max"`
	Box       bool                 `json:"box"`
	Exception bool                 `json:"exception"`
	Fault     bool                 `json:"fault"`
	Document  bool                 `json:"document"`
	Flattened bool                 `json:"flattened"`
	Member    *ShapeRef            `json:"member"`
	Key       *ShapeRef            `json:"key"`
	Value     *ShapeRef            `json:"value"`
	Error     *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`
}

// Shape types of the model.
const (
	typeStructure = "structure"
	typeList      = "list"
	typeMap       = "map"
	typeString    = "string"
	typeInteger   = "integer"
	typeLong      = "long"
	typeDouble    = "double"
	typeFloat     = "float"
	typeBoolean   = "boolean"
	typeTimestamp = "timestamp"
	typeBlob      = "blob"
)

// loadModel reads and checks a model file.
func loadModel(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseModel(data)
}

// parseModel decodes a model and checks that every reference resolves.
func parseModel(data []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Model) check() error {
	ref := func(where string, r *ShapeRef) error {
		if r == nil {
			return fmt.Errorf("%s: missing shape reference", where)
		}
		if _, ok := m.Shapes[r.Shape]; !ok {
			return fmt.Errorf("%s: unknown shape %q", where, r.Shape)
		}
		return nil
	}
	for _, name := range sortedKeys(m.Shapes) {
		s := m.Shapes[name]
		switch s.Type {
		case typeStructure:
			for _, mn := range sortedKeys(s.Members) {
				if err := ref("shape "+name+" member "+mn, s.Members[mn]); err != nil {
					return err
				}
			}
		case typeList:
			if err := ref("shape "+name+" member", s.Member); err != nil {
				return err
			}
		case typeMap:
			if err := ref("shape "+name+" key", s.Key); err != nil {
				return err
			}
			if err := ref("shape "+name+" value", s.Value); err != nil {
				return err
			}
		case typeString, typeInteger, typeLong, typeDouble, typeFloat, typeBoolean, typeTimestamp, typeBlob:
		default:
			return fmt.Errorf("shape %s: unsupported type %q", name, s.Type)
		}
	}
	for _, name := range sortedKeys(m.Operations) {
		op := m.Operations[name]
		if op.Input != nil {
			if err := ref("operation "+name+" input", op.Input); err != nil {
				return err
			}
		}
		if op.Output != nil {
			if err := ref("operation "+name+" output", op.Output); err != nil {
				return err
			}
		}
		for i := range op.Errors {
			if err := ref("operation "+name+" error", &op.Errors[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonName is the wire name of a structure member.
func jsonName(member string, ref *ShapeRef) string {
	if ref.LocationName != "" {
		return ref.LocationName
	}
	return member
}

// isRequired reports whether member is listed as required by s.
func (s *Shape) isRequired(member string) bool {
	for _, r := range s.Required {
		if r == member {
			return true
		}
	}
	return false
}

// isEnum reports whether s is a string shape with a closed set of values.
func (s *Shape) isEnum() bool { return s.Type == typeString && len(s.Enum) > 0 }

// isPlainStruct reports whether s becomes a generated Go struct.
func (s *Shape) isPlainStruct() bool {
	return s.Type == typeStructure && !s.Exception && !s.Document
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonNumber is a numeric bound kept as the model's text.
type jsonNumber = json.Number

// addRequired marks members ("Shape.member") as required, for constraints
// the service enforces but its model does not declare.
func (m *Model) addRequired(members []string) error {
	for _, entry := range members {
		shapeName, member, ok := strings.Cut(strings.TrimSpace(entry), ".")
		s := m.Shapes[shapeName]
		if !ok || s == nil || s.Type != typeStructure {
			return fmt.Errorf("-require %q: no structure shape %q", entry, shapeName)
		}
		if _, ok := s.Members[member]; !ok {
			return fmt.Errorf("-require %q: shape %s has no member %q", entry, shapeName, member)
		}
		if !s.isRequired(member) {
			s.Required = append(s.Required, member)
		}
	}
	return nil
}

// box makes the named scalar shapes optional, for services that tell a
// missing member from its zero value although the model does not say so.
func (m *Model) box(shapes []string) error {
	for _, name := range shapes {
		s := m.Shapes[strings.TrimSpace(name)]
		if s == nil || !isScalar(s.Type) {
			return fmt.Errorf("-box %q: no scalar shape of that name", name)
		}
		s.Box = true
	}
	return nil
}
