package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateTinyQuery renders the hand-written query-protocol model and
// compares it with the reviewed output (-update rewrites it).
func TestGenerateTinyQuery(t *testing.T) {
	got, err := generateFile("testdata/tinyquery.json", "tinyqwire", nil, nil)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	golden := filepath.Join("testdata", "tinyquery.golden.go")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("generated code differs from %s; rerun with -update and review the diff\n%s", golden, got)
	}
}

func TestGenerateTinyQueryContract(t *testing.T) {
	src, err := generateFile("testdata/tinyquery.json", "tinyqwire", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Join(strings.Fields(string(src)), " ")
	for _, want := range []string{
		`"github.com/wharfhq/wharf/internal/api/awsquery"`,
		`XMLNamespace = "http://example.com/doc/2024-01-01/"`,
		`{Name: "PutThing", Input: "PutThingInput", Output: "PutThingOutput", ResultWrapper: "PutThingResult", Errors: []string{"ThingNotFound", "Broken"}}`,
		`"Broken": {HTTPStatus: 500, Fault: true}`,
		`"ThingNotFound": {HTTPStatus: 404, Fault: false}`,
		`ErrThingNotFoundException = "ThingNotFound"`,
		"Enabled *bool `query:\"Enabled\"`",
		"Since *time.Time `query:\"Since\"`",
		"Port *int32 `query:\"Port\"`",
		`func (v *PutThingInput) DecodeQuery(n *awsquery.Node) error`,
		`func (v *PutThingOutput) EncodeXML(w *awsquery.XMLWriter)`,
		`items, err := n.List(path, "member")`,
		`entries, err := n.Map(path, "key", "value")`,
		`v.Items[i0].validate(awsquery.IndexPath(awsquery.MemberPath(path, "Items"), i0))`,
	} {
		if want = strings.Join(strings.Fields(want), " "); !strings.Contains(out, want) {
			t.Fatalf("generated code lacks %q", want)
		}
	}
	// Input-only shapes get no encoder and output-only shapes no decoder.
	for _, unwanted := range []string{"func (v *PutThingInput) EncodeXML", "func (v *PutThingOutput) DecodeQuery"} {
		if strings.Contains(out, unwanted) {
			t.Fatalf("generated code has %q", unwanted)
		}
	}
}
