package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

const ecsTargetPrefix = "AmazonEC2ContainerServiceV20141113."

// client is a lean keep-alive HTTP client for the ECS JSON protocol: one
// pooled transport with an idle connection per worker, pre-built header
// sets and pre-encoded bodies where the request allows it.
type client struct {
	http    *http.Client
	base    string
	headers map[string]http.Header // by operation
}

func newClient(base string, concurrency int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        concurrency,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{
		http:    &http.Client{Transport: tr, Timeout: 60 * time.Second},
		base:    base,
		headers: make(map[string]http.Header),
	}
}

// ecsHeaders are the headers an AWS SDK sends with an ECS call. The
// signature is a fixed stand-in of the real size: wharf does not check
// SigV4, but the bytes still cross the wire and get parsed.
func ecsHeaders(op string) http.Header {
	return http.Header{
		"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {ecsTargetPrefix + op},
		"User-Agent":   {"aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/linux#6.8 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe sid/1"},
		"X-Amz-Date":   {"20260101T000000Z"},
		"Authorization": {"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/ecs/aws4_request, " +
			"SignedHeaders=content-type;host;x-amz-date;x-amz-target, " +
			"Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"},
	}
}

// prepare builds the shared header set of op. Call it before the workers
// start: headers are only read afterwards.
func (c *client) prepare(op string) { c.headers[op] = ecsHeaders(op) }

// statusError is a response other than 200.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// call posts body to operation op and reads the response into buf (reset
// first), which the caller may reuse across calls. Anything but 200 is an
// error carrying the start of the response.
func (c *client) call(op string, body []byte, buf *bytes.Buffer) error {
	h := c.headers[op]
	if h == nil {
		return fmt.Errorf("operation %s not prepared", op)
	}
	req, err := http.NewRequest(http.MethodPost, c.base+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = h
	return c.do(req, buf)
}

// get issues GET path, with the same checks as call.
func (c *client) get(path string, buf *bytes.Buffer) error {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	return c.do(req, buf)
}

func (c *client) do(req *http.Request, buf *bytes.Buffer) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	// Reading to EOF returns the connection to the idle pool.
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		msg := buf.Bytes()
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return &statusError{status: resp.StatusCode, body: string(msg)}
	}
	return nil
}

// errorText is the text an error is counted under in the report.
func errorText(err error) string {
	var se *statusError
	if errors.As(err, &se) {
		return se.Error()
	}
	return err.Error()
}
