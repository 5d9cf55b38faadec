package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/server"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

const ecsTarget = "AmazonEC2ContainerServiceV20141113."

type awsError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func post(t *testing.T, url, target string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func TestHealthzAndRequestID(t *testing.T) {
	srv := wharftest.Start(t)
	resp, err := http.Get(srv.URL() + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("no x-amzn-RequestId on healthz")
	}
	r, body := post(t, srv.URL(), ecsTarget+"ListClusters", []byte(`{}`))
	if r.StatusCode != 200 || r.Header.Get("x-amzn-RequestId") == "" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		t.Fatalf("ListClusters: %d %v %s", r.StatusCode, r.Header, body)
	}
}

func TestGatewayErrors(t *testing.T) {
	srv := wharftest.Start(t)
	tests := []struct {
		name, target, body string
		status             int
		code, inMessage    string
	}{
		{"unknown op", ecsTarget + "LaunchRockets", `{}`, 400, "UnknownOperationException", "LaunchRockets"},
		{"unknown service", "NoSuchService.Op", `{}`, 400, "UnknownOperationException", "NoSuchService"},
		{"model op not implemented", ecsTarget + "ExecuteCommand", `{}`, 400, "UnknownOperationException", "not implemented"},
		{"malformed json", ecsTarget + "CreateCluster", `{"clusterName":`, 400, "SerializationException", ""},
		{"wrong type", ecsTarget + "CreateCluster", `{"clusterName": 5}`, 400, "SerializationException", "clusterName"},
		{"wrong nested type", ecsTarget + "RegisterTaskDefinition", `{"family":"f","containerDefinitions":[{"name":"a","memory":"lots"}]}`, 400, "SerializationException", "memory"},
		{"missing required", ecsTarget + "RegisterTaskDefinition", `{"family":"f"}`, 400, "InvalidParameterException", "containerDefinitions"},
		{"missing nested required", ecsTarget + "RegisterTaskDefinition", `{"family":"f","containerDefinitions":[{"image":"x","memory":5}]}`, 400, "InvalidParameterException", "containerDefinitions[0].name"},
		{"bad enum", ecsTarget + "RegisterTaskDefinition", `{"family":"f","networkMode":"wormhole","containerDefinitions":[{"name":"a","image":"x","memory":64}]}`, 400, "InvalidParameterException", "networkMode"},
		{"cluster not found", ecsTarget + "DeleteCluster", `{"cluster":"nope"}`, 400, "ClusterNotFoundException", "Cluster not found"},
		{"trailing garbage", ecsTarget + "ListClusters", `{} {}`, 400, "SerializationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := post(t, srv.URL(), tt.target, []byte(tt.body))
			var e awsError
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body %q is not an AWS JSON error: %v", body, err)
			}
			if r.StatusCode != tt.status || e.Type != tt.code || !strings.Contains(e.Message, tt.inMessage) {
				t.Fatalf("got %d %s %q, want %d %s containing %q", r.StatusCode, e.Type, e.Message, tt.status, tt.code, tt.inMessage)
			}
			if r.Header.Get("X-Amzn-ErrorType") != tt.code {
				t.Fatalf("X-Amzn-ErrorType = %q", r.Header.Get("X-Amzn-ErrorType"))
			}
		})
	}
	// An oversized body is refused with 413 without being buffered.
	big := append([]byte(`{"clusterName":"`), bytes.Repeat([]byte("a"), 2<<20)...)
	r, body := post(t, srv.URL(), ecsTarget+"CreateCluster", big)
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized: %d %s", r.StatusCode, body)
	}
	// GET with a target is refused; the server keeps serving afterwards.
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/", nil)
	req.Header.Set("X-Amz-Target", ecsTarget+"ListClusters")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %v %v", resp, err)
	}
	r, _ = post(t, srv.URL(), ecsTarget+"ListClusters", []byte(`{}`))
	if r.StatusCode != 200 {
		t.Fatalf("server stopped serving after bad input: %d", r.StatusCode)
	}
}

func TestSecondServerOnSameDataDirFails(t *testing.T) {
	dir := t.TempDir()
	wharftest.StartWith(t, server.Config{DataDir: dir})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := server.Start(ctx, server.Config{DataDir: dir, Listen: "127.0.0.1:0", Logger: wharftest.Logger()})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second server on %s: err = %v, want a clear 'in use' error", dir, err)
	}
}

func TestGracefulShutdownAndRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	srv, err := server.Start(ctx, server.Config{DataDir: dir, Listen: "127.0.0.1:0", Logger: wharftest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	if r, body := post(t, srv.URL(), ecsTarget+"CreateCluster", []byte(`{"clusterName":"keep"}`)); r.StatusCode != 200 {
		t.Fatalf("create: %d %s", r.StatusCode, body)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	srv2 := wharftest.StartWith(t, server.Config{DataDir: dir})
	_, body := post(t, srv2.URL(), ecsTarget+"DescribeClusters", []byte(`{"clusters":["keep"]}`))
	if !strings.Contains(string(body), `"clusterName":"keep"`) || !strings.Contains(string(body), `"ACTIVE"`) {
		t.Fatalf("after restart: %s", body)
	}
}
