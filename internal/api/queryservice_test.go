package api_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsquery"
)

type qEchoIn struct{ Name string }

func (v *qEchoIn) DecodeQuery(n *awsquery.Node) error {
	if c := n.Child("Name"); c != nil {
		s, err := c.String("Name")
		if err != nil {
			return err
		}
		v.Name = s
	}
	return nil
}

func (v *qEchoIn) Validate() error {
	if v.Name == "" {
		return &awsquery.ValidationError{Field: "Name", Reason: "is required"}
	}
	return nil
}

type qEchoOut struct{ Greeting string }

func (v *qEchoOut) EncodeXML(w *awsquery.XMLWriter) { w.String("Greeting", v.Greeting) }

const testNS = "http://example.com/doc/2020-01-01/"

func newQueryGateway(t *testing.T) *httptest.Server {
	t.Helper()
	svc := &api.QueryService{Version: "2020-01-01", XMLNamespace: testNS, ValidationCode: "ValidationError",
		Exceptions: map[string]awsquery.ExceptionInfo{"ThingNotFound": {HTTPStatus: 404}},
		Known:      map[string]bool{"Echo": true, "Fail": true, "Boom": true, "Panic": true, "Later": true}, MaxBody: 1024}
	api.RegisterQuery(svc, "Echo", "EchoResult", func(_ context.Context, in *qEchoIn) (*qEchoOut, error) {
		return &qEchoOut{Greeting: "hello " + in.Name}, nil
	})
	api.RegisterQuery(svc, "Fail", "FailResult", func(context.Context, *qEchoIn) (*qEchoOut, error) {
		return nil, api.Errorf("ThingNotFound", "Thing %s not found.", "x")
	})
	api.RegisterQuery(svc, "Boom", "BoomResult", func(context.Context, *qEchoIn) (*qEchoOut, error) {
		return nil, errors.New("disk on fire")
	})
	api.RegisterQuery(svc, "Panic", "PanicResult", func(context.Context, *qEchoIn) (*qEchoOut, error) {
		panic("bug")
	})
	gw := api.NewGateway(slog.New(slog.NewTextHandler(io.Discard, nil)))
	gw.AddQueryService(svc)
	gw.Handle("POST /", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write([]byte("mux:" + string(body)))
	}))
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return srv
}

type xmlError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

type xmlEcho struct {
	XMLName   xml.Name `xml:"EchoResponse"`
	Greeting  string   `xml:"EchoResult>Greeting"`
	RequestID string   `xml:"ResponseMetadata>RequestId"`
}

func postForm(t *testing.T, url, body string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

func TestQueryDispatch(t *testing.T) {
	srv := newQueryGateway(t)
	tests := []struct {
		body   string
		status int
		code   string
		msg    string
		kind   string
	}{
		{"Action=Echo&Version=2020-01-01&Name=elb", 200, "", "", ""},
		{"Action=Echo&Name=elb", 200, "", "", ""}, // the only query service answers without Version
		{"Action=Echo&Version=2020-01-01", 400, "ValidationError", "Name", "Sender"},
		{"Action=Echo&Version=2020-01-01&Name.x=1", 400, "ValidationError", "Name", "Sender"},
		{"Action=Echo&Version=2020-01-01&Name=a&Name=b", 400, "MalformedQueryString", "Name", "Sender"},
		{"Action=Echo&Version=2020-01-01&Name=%zz", 400, "MalformedQueryString", "Name", "Sender"},
		{"Action=Fail&Version=2020-01-01&Name=a", 404, "ThingNotFound", "Thing x not found.", "Sender"},
		{"Action=Boom&Version=2020-01-01&Name=a", 500, "InternalFailure", "", "Receiver"},
		{"Action=Panic&Version=2020-01-01&Name=a", 500, "InternalFailure", "", "Receiver"},
		{"Action=Later&Version=2020-01-01", 400, "InvalidAction", "not implemented", "Sender"},
		{"Action=Nope&Version=2020-01-01", 400, "InvalidAction", "Nope", "Sender"},
		{"Action=Echo&Version=1999-01-01&Name=a", 400, "InvalidAction", "1999-01-01", "Sender"},
		{"Action=Echo&Version=2020-01-01&Name=" + strings.Repeat("x", 2000), 413, "RequestEntityTooLarge", "", "Sender"},
	}
	for _, tt := range tests {
		status, hdr, raw := postForm(t, srv.URL+"/", tt.body)
		if status != tt.status {
			t.Fatalf("%.80s: status %d, want %d (%s)", tt.body, status, tt.status, raw)
		}
		if hdr.Get("x-amzn-RequestId") == "" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/xml") {
			t.Fatalf("%.80s: headers %v", tt.body, hdr)
		}
		if tt.code == "" {
			var out xmlEcho
			if err := xml.Unmarshal(raw, &out); err != nil || out.Greeting != "hello elb" || out.RequestID != hdr.Get("x-amzn-RequestId") ||
				!strings.Contains(string(raw), `<EchoResponse xmlns="`+testNS+`">`) {
				t.Fatalf("%s: %s (%v)", tt.body, raw, err)
			}
			continue
		}
		var e xmlError
		if err := xml.Unmarshal(raw, &e); err != nil {
			t.Fatalf("%.80s: %s is not an XML error: %v", tt.body, raw, err)
		}
		if e.Code != tt.code || e.Type != tt.kind || !strings.Contains(e.Message, tt.msg) || e.RequestID == "" {
			t.Fatalf("%.80s: got %+v, want %s/%s mentioning %q", tt.body, e, tt.code, tt.kind, tt.msg)
		}
	}
	// Still serving after a panic.
	if status, _, _ := postForm(t, srv.URL+"/", "Action=Echo&Name=elb"); status != 200 {
		t.Fatalf("gateway stopped serving after a panic: %d", status)
	}
}

func TestQueryGETAndFallThrough(t *testing.T) {
	srv := newQueryGateway(t)
	resp, err := http.Get(srv.URL + "/?" + url.Values{"Action": {"Echo"}, "Version": {"2020-01-01"}, "Name": {"elb"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out xmlEcho
	if resp.StatusCode != 200 || xml.Unmarshal(raw, &out) != nil || out.Greeting != "hello elb" {
		t.Fatalf("GET: %d %s", resp.StatusCode, raw)
	}
	// A form POST without Action reaches the path mux with its body intact.
	status, _, body := postForm(t, srv.URL+"/", "user=a&pass=b")
	if status != 200 || string(body) != "mux:user=a&pass=b" {
		t.Fatalf("fall through: %d %s", status, body)
	}
}

func TestRegisterQueryRejectsUnknownOperation(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatalf("RegisterQuery accepted an operation missing from the model")
		}
	}()
	svc := &api.QueryService{Version: "x", Known: map[string]bool{"A": true}}
	api.RegisterQuery(svc, "B", "", func(context.Context, *qEchoIn) (*qEchoOut, error) { return nil, nil })
}
