package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// CheckJSONRequest posts body as operation target (e.g.
// "CodeBuild_20161006.StartBuild") to an AWS JSON 1.1 endpoint and fails t
// unless the answer is JSON, never a 5xx (but the 503
// ServiceUnavailableException SDKs retry, which says etcd was slow, not
// that the input was bad), and every error carries __type and message: the
// property the API packages' request fuzzers check.
func CheckJSONRequest(t *testing.T, client *http.Client, url, target string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %q: response is not JSON: %q", target, body, raw)
	}
	if resp.StatusCode >= 500 && !(resp.StatusCode == 503 && out["__type"] == "ServiceUnavailableException") {
		t.Fatalf("%s %q: status %d: %s", target, body, resp.StatusCode, raw)
	}
	if resp.StatusCode != 200 {
		if typ, _ := out["__type"].(string); typ == "" {
			t.Fatalf("%s %q: %d without __type: %s", target, body, resp.StatusCode, raw)
		}
		if msg, _ := out["message"].(string); msg == "" {
			t.Fatalf("%s %q: %d without message: %s", target, body, resp.StatusCode, raw)
		}
	}
}
