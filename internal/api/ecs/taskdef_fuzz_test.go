package ecs

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
)

// FuzzValidateTaskDefinition feeds arbitrary request bodies through the
// RegisterTaskDefinition pipeline (decode, generated validation, ECS rules,
// conversion both ways). Nothing may panic; every rejection must be a 4xx
// *api.Error or an *awsjson.ValidationError; an accepted definition must
// convert, and registering its echo must give the same model.
func FuzzValidateTaskDefinition(f *testing.F) {
	for _, in := range []*ecswire.RegisterTaskDefinitionRequest{ec2BridgeTaskDef(), fargateTaskDef(), hostTaskDef(), multiContainerTaskDef()} {
		buf, err := json.Marshal(in)
		if err != nil {
			f.Fatalf("marshal seed: %v", err)
		}
		f.Add(buf)
	}
	if buf, err := os.ReadFile(filepath.Join("testdata", "taskdef_register.json")); err == nil {
		f.Add(buf)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in ecswire.RegisterTaskDefinitionRequest
		if err := awsjson.Decode(body, &in); err != nil {
			return
		}
		if err := in.Validate(); err != nil {
			var ve *awsjson.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("generated Validate returned %T %v, want *awsjson.ValidationError", err, err)
			}
			return
		}
		verr := validateTaskDefinition(&in)
		if verr != nil {
			requireClientError(t, "validateTaskDefinition", verr)
		}
		// Conversion must not panic even on definitions the rules reject.
		td, cerr := taskDefFromWire(&in)
		if cerr != nil {
			requireClientError(t, "taskDefFromWire", cerr)
			if verr == nil {
				t.Fatalf("taskDefFromWire rejected a valid definition: %v", cerr)
			}
			return
		}
		out := taskDefToWire(&td)
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("marshal described task definition: %v", err)
		}
		if verr != nil {
			return
		}
		echo := requestFromDescribed(out)
		if err := echo.Validate(); err != nil {
			t.Fatalf("echo of a valid definition fails generated validation: %v", err)
		}
		if err := validateTaskDefinition(echo); err != nil {
			t.Fatalf("echo of a valid definition is rejected: %v", err)
		}
		again, err := taskDefFromWire(echo)
		if err != nil {
			t.Fatalf("echo of a valid definition does not convert: %v", err)
		}
		a, _ := json.Marshal(td)
		b, _ := json.Marshal(again)
		if !bytes.Equal(a, b) {
			t.Fatalf("registering the echo changed the model:\nfirst: %s\nagain: %s", a, b)
		}
	})
}

func requireClientError(t *testing.T, op string, err error) {
	t.Helper()
	apiErr, ok := api.AsError(err)
	if !ok {
		t.Fatalf("%s returned %T %v, want *api.Error", op, err, err)
	}
	if apiErr.Status < 400 || apiErr.Status > 499 {
		t.Fatalf("%s returned status %d (%v), want 4xx", op, apiErr.Status, err)
	}
}
