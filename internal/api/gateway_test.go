package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
)

type echoIn struct {
	Name  string `json:"name"`
	Count *int32 `json:"count,omitempty"`
}

func (e *echoIn) Validate() error {
	if e.Name == "" {
		return &awsjson.ValidationError{Field: "name", Reason: "is required"}
	}
	return nil
}

type echoOut struct {
	Greeting string `json:"greeting"`
}

func newGateway(t *testing.T) *httptest.Server {
	t.Helper()
	svc := &api.JSONService{TargetPrefix: "Test_20200101", ValidationCode: "InvalidParameterException",
		Known: map[string]bool{"Echo": true, "Boom": true, "Fail": true, "Panic": true, "Later": true}, MaxBody: 1024}
	api.Register(svc, "Echo", func(_ context.Context, in *echoIn) (*echoOut, error) {
		return &echoOut{Greeting: "hello " + in.Name}, nil
	})
	api.Register(svc, "Fail", func(context.Context, *echoIn) (*echoOut, error) {
		return nil, api.Errorf("ThingNotFoundException", "Thing %s not found.", "x")
	})
	api.Register(svc, "Boom", func(context.Context, *echoIn) (*echoOut, error) {
		return nil, errors.New("disk on fire")
	})
	api.Register(svc, "Panic", func(context.Context, *echoIn) (*echoOut, error) {
		panic("bug")
	})
	gw := api.NewGateway(slog.New(slog.NewTextHandler(io.Discard, nil)))
	gw.AddJSONService(svc)
	gw.Handle("GET /ping", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("pong")) }))
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, url, op, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "Test_20200101."+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: response %q is not JSON: %v", op, raw, err)
	}
	return resp.StatusCode, resp.Header, out
}

func TestGatewayDispatch(t *testing.T) {
	srv := newGateway(t)
	tests := []struct {
		op, body string
		status   int
		code     string
		field    string // substring of message
	}{
		{"Echo", `{"name":"ecs"}`, 200, "", ""},
		{"Echo", ``, 400, "InvalidParameterException", "name"},
		{"Echo", `{"name":7}`, 400, "SerializationException", "name"},
		{"Echo", `{"name":"a","count":"x"}`, 400, "SerializationException", "count"},
		{"Echo", `[1,2]`, 400, "SerializationException", ""},
		{"Echo", `{"name":"a","unknownMember":1}`, 200, "", ""},
		{"Fail", `{"name":"a"}`, 400, "ThingNotFoundException", "Thing x not found."},
		{"Boom", `{"name":"a"}`, 500, "ServerException", ""},
		{"Panic", `{"name":"a"}`, 500, "InternalFailure", ""},
		{"Later", `{}`, 400, "UnknownOperationException", "not implemented"},
		{"Nope", `{}`, 400, "UnknownOperationException", "Nope"},
		{"Echo", `{"name":"` + strings.Repeat("x", 2000) + `"}`, 413, "RequestEntityTooLargeException", ""},
	}
	for _, tt := range tests {
		status, hdr, out := call(t, srv.URL, tt.op, tt.body)
		if status != tt.status {
			t.Fatalf("%s %q: status %d, want %d (%v)", tt.op, tt.body, status, tt.status, out)
		}
		if hdr.Get("x-amzn-RequestId") == "" {
			t.Fatalf("%s: no request id", tt.op)
		}
		if tt.code == "" {
			if out["greeting"] != "hello ecs" && out["greeting"] != "hello a" {
				t.Fatalf("%s: %v", tt.op, out)
			}
			continue
		}
		msg, _ := out["message"].(string)
		if out["__type"] != tt.code || hdr.Get("X-Amzn-ErrorType") != tt.code || !strings.Contains(msg, tt.field) {
			t.Fatalf("%s %q: got %v, want %s mentioning %q", tt.op, tt.body, out, tt.code, tt.field)
		}
	}
	// Internal error messages do not leak through 500s as a different code.
	status, _, _ := call(t, srv.URL, "Echo", `{"name":"still alive"}`)
	if status != 200 {
		t.Fatalf("gateway stopped serving after a panic: %d", status)
	}
}

func TestGatewayPaths(t *testing.T) {
	srv := newGateway(t)
	resp, err := http.Get(srv.URL + "/ping")
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("GET /ping: %v %v", resp, err)
	}
	resp, err = http.Post(srv.URL+"/nothing", "text/plain", bytes.NewReader(nil))
	if err != nil || resp.StatusCode != 404 {
		t.Fatalf("POST /nothing: %v %v", resp, err)
	}
}

func TestRegisterRejectsUnknownOperation(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatalf("Register accepted an operation missing from the model")
		}
	}()
	svc := &api.JSONService{TargetPrefix: "X", Known: map[string]bool{"A": true}}
	api.Register(svc, "B", func(context.Context, *echoIn) (*echoOut, error) { return nil, nil })
}

type unavailable struct{}

func (unavailable) Error() string     { return "etcd: request timed out" }
func (unavailable) Unavailable() bool { return true }

func TestUnavailableStoreIsRetryable503(t *testing.T) {
	svc := &api.JSONService{TargetPrefix: "T"}
	api.Register(svc, "Op", func(context.Context, *echoOut) (*echoOut, error) {
		return nil, fmt.Errorf("state: %w", unavailable{})
	})
	gw := api.NewGateway(slog.New(slog.NewTextHandler(io.Discard, nil)))
	gw.AddJSONService(svc)
	srv := httptest.NewServer(gw)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "T.Op")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("X-Amzn-ErrorType") != "ServiceUnavailableException" {
		t.Fatalf("got %d %s, want 503 ServiceUnavailableException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

func TestBearerAuth(t *testing.T) {
	h := api.BearerAuth("s3cret", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("in")) })
	for header, want := range map[string]int{"Bearer s3cret": 200, "Bearer wrong": 401, "s3cret": 401, "": 401} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("Authorization %q: %d, want %d", header, rec.Code, want)
		}
	}
}
