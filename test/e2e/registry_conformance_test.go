package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// conformanceModule is the OCI distribution-spec conformance suite run
// against wharf's registry (the newest version the module proxy serves).
const conformanceModule = "github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111"

// buildConformance downloads the suite's module and builds it with go build.
func buildConformance(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", conformanceModule).Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", conformanceModule, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: %s %v", conformanceModule, mod.Error, err)
	}
	// The module cache is read-only; build from a copy.
	src := filepath.Join(t.TempDir(), "conformance")
	if err := os.CopyFS(src, os.DirFS(mod.Dir)); err != nil {
		t.Fatal(err)
	}
	_ = filepath.WalkDir(src, func(p string, d fs.DirEntry, _ error) error { return os.Chmod(p, 0o755) })
	bin := filepath.Join(t.TempDir(), "oci-conformance")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build the conformance suite: %v\n%s", err, out)
	}
	return bin
}

// conformanceDir is where the suite's report is kept: $WHARF_ARTIFACTS
// (CI) or /tmp/wharf-conformance.
func conformanceDir() string {
	if d := os.Getenv("WHARF_ARTIFACTS"); d != "" {
		return filepath.Join(d, "oci-conformance")
	}
	return "/tmp/wharf-conformance"
}

// TestOCIConformance runs the OCI distribution-spec conformance suite, every
// API and data toggle on, against a live wharf server with registry auth on
// (credentials from GetAuthorizationToken), and fails unless it passes in
// full.
func TestOCIConformance(t *testing.T) {
	bin := buildConformance(t)
	p := startServer(t, t.TempDir(), "--local-agent=false", "--registry-auth", "--registry-sparse-manifests")
	client := ecrClient(p.url)
	ctx := ctxTimeout(t, 5*time.Minute)
	for _, repo := range []string{"conformance/repo1", "conformance/repo2"} {
		if _, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)}); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationData[0].AuthorizationToken))
	user, pass, _ := strings.Cut(string(raw), ":")

	results := conformanceDir()
	if err := os.RemoveAll(results); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(),
		"OCI_REGISTRY="+strings.TrimPrefix(p.url, "http://"), "OCI_TLS=disabled",
		"OCI_REPO1=conformance/repo1", "OCI_REPO2=conformance/repo2",
		"OCI_USERNAME="+user, "OCI_PASSWORD="+pass, "OCI_VERSION=1.1",
		"OCI_RESULTS_DIR="+results, "OCI_LOG=warn",
		// Every API and data toggle on, including those off by default.
		"OCI_API_PULL=true", "OCI_API_PUSH=true",
		"OCI_API_BLOBS_ATOMIC=true", "OCI_API_BLOBS_DELETE=true", "OCI_API_BLOBS_DIGEST_HEADER=true",
		"OCI_API_BLOBS_MOUNT_ANONYMOUS=true", "OCI_API_BLOBS_UPLOAD_CANCEL=true",
		"OCI_API_MANIFESTS_ATOMIC=true", "OCI_API_MANIFESTS_DELETE=true", "OCI_API_MANIFESTS_DIGEST_HEADER=true",
		"OCI_API_MANIFESTS_TAG_PARAM=true", "OCI_API_TAGS_ATOMIC=true", "OCI_API_TAGS_DELETE=true",
		"OCI_API_TAGS_LIST=true", "OCI_API_REFERRER=true",
		"OCI_DATA_IMAGE=true", "OCI_DATA_INDEX=true", "OCI_DATA_INDEX_LIST=true", "OCI_DATA_SPARSE=true",
		"OCI_DATA_ARTIFACT=true", "OCI_DATA_SUBJECT=true", "OCI_DATA_SUBJECT_MISSING=true",
		"OCI_DATA_ARTIFACT_LIST=true", "OCI_DATA_SUBJECT_LIST=true", "OCI_DATA_DATA_FIELD=true",
		"OCI_DATA_NONDISTRIBUTABLE=true", "OCI_DATA_CUSTOM_FIELDS=true", "OCI_DATA_NO_LAYERS=true",
		"OCI_DATA_EMPTY_BLOB=true", "OCI_DATA_SHA512=true",
	)
	out, runErr := cmd.CombinedOutput()
	summary := conformanceSummary(string(out))
	t.Logf("OCI conformance report (results.yaml, junit.xml, report.html): %s\n%s", results, summary)
	fmt.Printf("OCI conformance report: %s\n", results)
	if _, err := os.Stat(filepath.Join(results, "junit.xml")); err != nil {
		t.Fatalf("the suite wrote no junit.xml: %v\n%s", err, out)
	}
	if runErr != nil || !strings.Contains(strings.ToLower(summary), "oci conformance result: pass") ||
		!strings.Contains(summary, "FAIL..........................:          0") ||
		!strings.Contains(summary, "Skip..........................:          0") {
		t.Fatalf("conformance suite did not pass in full (exit %v); report in %s\n%s\nserver log:\n%s", runErr, results, out, tail(p.logs.String(), 40))
	}
}

// conformanceSummary keeps the suite's result table from its output.
func conformanceSummary(out string) string {
	if i := strings.Index(out, "OCI Conformance Result"); i >= 0 {
		return out[i:]
	}
	return tail(out, 60)
}
