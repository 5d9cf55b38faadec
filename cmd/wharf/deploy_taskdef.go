package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
)

// --- Task definition documents ---

// taskDefDoc is a task definition as the JSON document RegisterTaskDefinition
// takes, kept as raw members: every member the user wrote reaches the
// server as written, including ones this CLI knows nothing about.
type taskDefDoc map[string]json.RawMessage

// readOnlyTaskDefMembers are the members DescribeTaskDefinition reports that
// RegisterTaskDefinition does not take.
var readOnlyTaskDefMembers = []string{"taskDefinitionArn", "revision", "status", "requiresAttributes",
	"compatibilities", "registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt"}

// parseTaskDefinition reads a RegisterTaskDefinition JSON document, or
// DescribeTaskDefinition output ({"taskDefinition": {…}, "tags": […]}) whose
// read-only members it drops, and checks it against the API model as the
// server will: unknown members and missing required ones are errors.
func parseTaskDefinition(data []byte) (taskDefDoc, error) {
	var doc taskDefDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if inner, ok := doc["taskDefinition"]; ok {
		var td taskDefDoc
		if err := json.Unmarshal(inner, &td); err != nil {
			return nil, fmt.Errorf("taskDefinition: not a JSON object: %w", err)
		}
		if tags, ok := doc["tags"]; ok && td["tags"] == nil {
			td["tags"] = tags
		}
		doc = td
	}
	if doc == nil {
		doc = taskDefDoc{}
	}
	for _, k := range readOnlyTaskDefMembers {
		delete(doc, k)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req ecswire.RegisterTaskDefinitionRequest
	if err := dec.Decode(&req); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return doc, nil
}

// imageFlag is one --image CONTAINER=IMAGE.
type imageFlag struct{ container, image string }

func parseImageFlags(flags []string) ([]imageFlag, error) {
	var out []imageFlag
	for _, s := range flags {
		name, image, ok := strings.Cut(s, "=")
		if !ok || name == "" || image == "" {
			return nil, usageErrorf("--image %q: want CONTAINER=IMAGE", s)
		}
		if slices.ContainsFunc(out, func(f imageFlag) bool { return f.container == name }) {
			return nil, usageErrorf("--image: container %s given twice", name)
		}
		out = append(out, imageFlag{name, image})
	}
	return out, nil
}

// withImages returns a copy of d with the images of the named containers
// replaced; every other member is left as it was.
func (d taskDefDoc) withImages(images []imageFlag) (taskDefDoc, error) {
	var defs []map[string]json.RawMessage
	if err := json.Unmarshal(d["containerDefinitions"], &defs); err != nil {
		return nil, fmt.Errorf("containerDefinitions: %w", err)
	}
	var names []string
	for _, def := range defs {
		var name string
		_ = json.Unmarshal(def["name"], &name)
		names = append(names, name)
	}
	for _, img := range images {
		i := slices.Index(names, img.container)
		if i < 0 {
			return nil, fmt.Errorf("no container named %q (containers: %s)", img.container, strings.Join(names, ", "))
		}
		v, _ := json.Marshal(img.image)
		defs[i]["image"] = v
	}
	body, err := json.Marshal(defs)
	if err != nil {
		return nil, err
	}
	out := maps.Clone(d)
	out["containerDefinitions"] = body
	return out, nil
}
