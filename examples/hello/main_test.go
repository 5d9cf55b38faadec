package main

import (
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	h := newHandler("3f2c1ab")
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/", 200, "hello from 3f2c1ab\n"},
		{"GET", "/healthz", 200, "ok\n"},
		{"GET", "/nope", 404, ""},
		{"POST", "/", 405, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.code || (tc.body != "" && rec.Body.String() != tc.body) {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, rec.Code, rec.Body.String(), tc.code, tc.body)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(newHandler("x"))
	defer srv.Close()
	if got := healthcheck(srv.URL + "/healthz"); got != 0 {
		t.Errorf("healthy server: %d", got)
	}
	if got := healthcheck(srv.URL + "/nope"); got != 1 {
		t.Errorf("404: %d", got)
	}
	srv.Close()
	if got := healthcheck(srv.URL + "/healthz"); got != 1 {
		t.Errorf("closed server: %d", got)
	}
}
