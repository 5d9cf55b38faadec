package lb

import (
	"net/http/httptest"
	"testing"

	"github.com/wharfhq/wharf/internal/model"
)

func TestPatternMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		fold, want bool
	}{
		{"/api", "/api", false, true},
		{"/api", "/API", false, false},
		{"/api/*", "/api/v1/x", false, true},
		{"/api/*", "/api/", false, true},
		{"/api/*", "/api", false, false},
		{"*.png", "/img/a.png", false, true},
		{"*.png", "/img/a.PNG", false, false},
		{"/a?c", "/abc", false, true},
		{"/a?c", "/ac", false, false},
		{"/a*b*c", "/axxbyyc", false, true},
		{"/a*b*c", "/axxbyy", false, false},
		{"*", "", false, true},
		{"/*/v?/*", "/svc/v1/items", false, true},
		{"/*/v?/*", "/svc/v10/items", false, false},
		{"*.example.com", "www.example.com", true, true},
		{"*.Example.COM", "api.example.com", true, true},
		{"api.example.com", "api.example.com", true, true},
		{"a?i.example.com", "api.example.com", true, true},
	}
	for _, c := range cases {
		p := compilePattern(c.pattern, c.fold)
		if got := p.match(c.s); got != c.want {
			t.Errorf("pattern %q (fold %v) on %q = %v, want %v", c.pattern, c.fold, c.s, got, c.want)
		}
	}
}

func TestConditionMatch(t *testing.T) {
	cases := []struct {
		name   string
		cond   model.Condition
		method string
		url    string
		host   string
		header [2]string
		remote string
		want   bool
	}{
		{"path hit", model.Condition{Field: "path-pattern", Values: []string{"/x", "/api/*"}}, "GET", "/api/v1?a=b", "h", [2]string{}, "", true},
		{"path ignores query", model.Condition{Field: "path-pattern", Values: []string{"/api"}}, "GET", "/api?x=1", "h", [2]string{}, "", true},
		{"path case-sensitive", model.Condition{Field: "path-pattern", Values: []string{"/api/*"}}, "GET", "/API/v1", "h", [2]string{}, "", false},
		{"host case-insensitive with port", model.Condition{Field: "host-header", Values: []string{"*.example.com"}}, "GET", "/", "WWW.Example.com:8080", [2]string{}, "", true},
		{"host miss", model.Condition{Field: "host-header", Values: []string{"*.example.com"}}, "GET", "/", "example.org", [2]string{}, "", false},
		{"header wildcard case-insensitive", model.Condition{Field: "http-header", HeaderName: "user-agent", Values: []string{"*mobile*"}}, "GET", "/", "h", [2]string{"User-Agent", "Foo Mobile Safari"}, "", true},
		{"header absent", model.Condition{Field: "http-header", HeaderName: "X-Env", Values: []string{"*"}}, "GET", "/", "h", [2]string{}, "", false},
		{"method", model.Condition{Field: "http-request-method", Values: []string{"POST", "PUT"}}, "PUT", "/", "h", [2]string{}, "", true},
		{"method case-sensitive", model.Condition{Field: "http-request-method", Values: []string{"post"}}, "POST", "/", "h", [2]string{}, "", false},
		{"query key/value", model.Condition{Field: "query-string", QueryValues: []model.QueryValue{{Key: "version", Value: "v1*"}}}, "GET", "/?version=V1.2", "h", [2]string{}, "", true},
		{"query value any key", model.Condition{Field: "query-string", QueryValues: []model.QueryValue{{Value: "beta"}}}, "GET", "/?x=beta", "h", [2]string{}, "", true},
		{"query miss", model.Condition{Field: "query-string", QueryValues: []model.QueryValue{{Key: "version", Value: "v2"}}}, "GET", "/?version=v1", "h", [2]string{}, "", false},
		{"source ip in cidr", model.Condition{Field: "source-ip", Values: []string{"10.0.0.0/8", "192.168.1.1/32"}}, "GET", "/", "h", [2]string{}, "10.1.2.3:5555", true},
		{"source ip outside", model.Condition{Field: "source-ip", Values: []string{"10.0.0.0/8"}}, "GET", "/", "h", [2]string{}, "127.0.0.1:5555", false},
		{"source ipv6", model.Condition{Field: "source-ip", Values: []string{"::1/128"}}, "GET", "/", "h", [2]string{}, "[::1]:5555", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cc, err := compileCondition(c.cond)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(c.method, c.url, nil)
			r.Host = c.host
			if c.header[0] != "" {
				r.Header.Set(c.header[0], c.header[1])
			}
			if c.remote != "" {
				r.RemoteAddr = c.remote
			}
			if got := cc.match(&reqView{r: r}); got != c.want {
				t.Errorf("match = %v, want %v", got, c.want)
			}
		})
	}
}

func TestMatchRuleByPriority(t *testing.T) {
	mk := func(prio int32, conds ...model.Condition) rule {
		r, err := compileRule(model.Rule{ARN: "r" + itoa32(prio), Priority: prio, Conditions: conds,
			Actions: []model.Action{{Type: "fixed-response", StatusCode: "200"}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	rules := []rule{
		mk(30, model.Condition{Field: "path-pattern", Values: []string{"/*"}}),
		mk(10, model.Condition{Field: "path-pattern", Values: []string{"/api/*"}}, model.Condition{Field: "http-request-method", Values: []string{"POST"}}),
		mk(20, model.Condition{Field: "path-pattern", Values: []string{"/api/*"}}),
		mk(5, model.Condition{Field: "host-header", Values: []string{"admin.*"}}),
	}
	sortRules(rules)
	cases := []struct {
		method, url, host string
		want              string
	}{
		{"POST", "/api/x", "h", "r10"},
		{"GET", "/api/x", "h", "r20"},
		{"GET", "/other", "h", "r30"},
		{"GET", "/api/x", "admin.example.com", "r5"},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.url, nil)
		r.Host = c.host
		got := matchRule(rules, &reqView{r: r})
		if got == nil || got.arn != c.want {
			t.Errorf("%s %s host %s: matched %v, want %s", c.method, c.url, c.host, got, c.want)
		}
	}
	if got := matchRule(rules[:1:1][:0], &reqView{r: httptest.NewRequest("GET", "/", nil)}); got != nil {
		t.Errorf("no rules matched %v", got)
	}
}
