package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/tiny.golden.go")

// TestGenerateTiny renders the hand-written model in testdata and compares
// it with the reviewed output. Run `go test ./internal/tools/awsgen -update`
// after an intended change and review the diff.
func TestGenerateTiny(t *testing.T) {
	got, err := generateFile("testdata/tiny.json", "tinywire", nil, nil)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	golden := filepath.Join("testdata", "tiny.golden.go")
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

func TestGenerateTinyContract(t *testing.T) {
	src, err := generateFile("testdata/tiny.json", "tinywire", nil, nil)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	// Compare with runs of blanks collapsed, so gofmt alignment does not matter.
	out := strings.Join(strings.Fields(string(src)), " ")
	for _, want := range []string{
		`TargetPrefix = "Tiny_20240101"`,
		`{Name: "Ping", Input: "PingRequest", Output: ""}`,
		`{Name: "PutThing", Input: "PutThingRequest", Output: "PutThingResponse", Errors: []string{"ThingNotFoundException", "ServerException"}}`,
		`"ServerException": {HTTPStatus: 500, Fault: true}`,
		`"ThingNotFoundException": {HTTPStatus: 404, Fault: false}`,
		`ErrThingNotFoundException = "ThingNotFoundException"`,
		"Count     int32                `json:\"count\"`",
		"Size      *int32               `json:\"size,omitempty\"`",
		"Enabled   bool                 `json:\"enabled\"`",
		"CreatedAt *awsjson.Timestamp   `json:\"createdAt,omitempty\"`",
		"Mappings  []PortMapping        `json:\"mappings,omitempty\"`",
		"Labels    map[string]string    `json:\"labels,omitempty\"`",
		"Matrix    [][]Mode             `json:\"matrix,omitempty\"`",
		"Nested    *PutThingRequest     `json:\"nested,omitempty\"`",
		"Legacy    int64                `json:\"legacyName\"`",
		"Details   Details              `json:\"details,omitempty\"`",
		"type Details = json.RawMessage",
		`ModeActive         Mode = "ACTIVE"`,
		`ModeServiceConnect Mode = "SERVICE_CONNECT"`,
		`ModeUsEast1        Mode = "us-east-1"`,
		`ModeV4xx           Mode = "4xx"`,
		`ModeAB             Mode = "a-b"`,
		`ModeAB2            Mode = "a_b"`,
		"type Operations2 struct",
		"Validate2 string `json:\"Validate,omitempty\"`",
	} {
		if want = strings.Join(strings.Fields(want), " "); !strings.Contains(out, want) {
			t.Fatalf("generated code lacks %q", want)
		}
	}
	for _, unwanted := range []string{"type String ", "type Integer ", "type Timestamp ", "type ServerException "} {
		if strings.Contains(out, unwanted) {
			t.Fatalf("generated code has %q", unwanted)
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	first, err := generateFile("testdata/tiny.json", "tinywire", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := generateFile("testdata/tiny.json", "tinywire", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("two runs over the same model differ")
		}
	}
}

func TestGenerateRejectsBadModels(t *testing.T) {
	tests := []struct{ name, model, wantErr string }{
		{"rest-xml protocol", `{"metadata":{"protocol":"rest-xml"},"shapes":{}}`, `protocol "rest-xml" is not supported`},
		{"flattened query list", `{"metadata":{"protocol":"query"},"shapes":{"L":{"type":"list","member":{"shape":"S"},"flattened":true},"S":{"type":"string"}}}`,
			`flattened lists and maps are not supported`},
		{"dangling member", `{"metadata":{"protocol":"json"},"shapes":{"A":{"type":"structure","members":{"b":{"shape":"B"}}}}}`,
			`unknown shape "B"`},
		{"unknown type", `{"metadata":{"protocol":"json"},"shapes":{"A":{"type":"union"}}}`, `unsupported type "union"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseModel([]byte(tt.model))
			if err == nil {
				_, err = generate(m, "x", "x.json")
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRequireFlag(t *testing.T) {
	src, err := generateFile("testdata/tiny.json", "tinywire", []string{"PutThingResponse.thing"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `Field: awsjson.MemberPath(path, "thing"), Reason: "is required"`; !strings.Contains(string(src), want) {
		t.Fatalf("generated code lacks %q", want)
	}
	for _, bad := range []string{"Nope.thing", "PutThingResponse.nope", "PutThingResponse", "Mode.x"} {
		if _, err := generateFile("testdata/tiny.json", "tinywire", []string{bad}, nil); err == nil {
			t.Fatalf("-require %s: no error", bad)
		}
	}
}

// TestCommittedCodeIsFresh finds every package under internal/api whose
// doc.go has an awsgen go:generate line, reruns that line in process into a
// temporary file and fails when the committed output differs: run
// `go generate ./internal/api/...` and commit the result.
func TestCommittedCodeIsFresh(t *testing.T) {
	const directive = "//go:generate go run ../../../tools/awsgen "
	apiDir := filepath.Join("..", "..", "api")
	docs, err := filepath.Glob(filepath.Join(apiDir, "*", "*", "doc.go"))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, doc := range docs {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			rest, ok := strings.CutPrefix(strings.TrimSpace(line), strings.TrimSpace(directive))
			if !ok {
				continue
			}
			found++
			dir := filepath.Dir(doc)
			t.Run(filepath.Base(dir), func(t *testing.T) {
				args := strings.Fields(rest)
				tmp := filepath.Join(t.TempDir(), "zz_generated.go")
				var committed string
				for i := 0; i+1 < len(args); i++ {
					switch args[i] {
					case "-model":
						args[i+1] = filepath.Join(dir, args[i+1])
					case "-out":
						committed = filepath.Join(dir, args[i+1])
						args[i+1] = tmp
					}
				}
				if committed == "" {
					t.Fatalf("%s: go:generate line has no -out", doc)
				}
				if err := run(args); err != nil {
					t.Fatalf("awsgen %v: %v", args, err)
				}
				fresh, err := os.ReadFile(tmp)
				if err != nil {
					t.Fatal(err)
				}
				want, err := os.ReadFile(committed)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(fresh, want) {
					t.Fatalf("%s is stale: run `go generate ./internal/api/...`", committed)
				}
			})
		}
	}
	if found < 2 {
		t.Fatalf("found %d awsgen go:generate lines under %s, want at least 2 (ecswire, logswire)", found, apiDir)
	}
}

func TestBoxFlag(t *testing.T) {
	plain, err := generateFile("testdata/tiny.json", "tinywire", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	boxed, err := generateFile("testdata/tiny.json", "tinywire", nil, []string{"Boolean"})
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`Enabled\s+(\*?bool)\s`)
	if m := re.FindStringSubmatch(string(plain)); m == nil || m[1] != "bool" {
		t.Fatalf("unboxed enabled: %v", m)
	}
	if m := re.FindStringSubmatch(string(boxed)); m == nil || m[1] != "*bool" {
		t.Fatalf("boxed enabled: %v", m)
	}
	for _, bad := range []string{"Nope", "PutThingRequest"} {
		if _, err := generateFile("testdata/tiny.json", "tinywire", nil, []string{bad}); err == nil {
			t.Fatalf("-box %s: no error", bad)
		}
	}
}
