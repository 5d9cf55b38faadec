package lb

import (
	"net/http/httptest"
	"testing"

	"github.com/wharfhq/wharf/internal/model"
)

func TestRedirectLocation(t *testing.T) {
	cases := []struct {
		name string
		a    model.Action
		url  string
		host string
		want string
	}{
		{"defaults keep everything", model.Action{Type: "redirect"}, "/a/b?x=1", "example.com", "http://example.com:8080/a/b?x=1"},
		{"to https default port", model.Action{Type: "redirect", RedirectProtocol: "HTTPS", RedirectPort: "443", RedirectStatus: "HTTP_301"}, "/a?q", "example.com:8080", "https://example.com/a?q"},
		{"placeholders", model.Action{Type: "redirect", RedirectHost: "new.#{host}", RedirectPath: "/v2/#{path}", RedirectQuery: "#{query}&from=old"}, "/items", "example.com", "http://new.example.com:8080/v2/items?&from=old"},
		{"port 80 omitted", model.Action{Type: "redirect", RedirectPort: "80"}, "/", "h", "http://h/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := compileActions([]model.Action{c.a}, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", c.url, nil)
			r.Host = c.host
			if got := a.redirect.location(r, "8080"); got != c.want {
				t.Errorf("location = %q, want %q", got, c.want)
			}
		})
	}
}

func TestCompileActions(t *testing.T) {
	groups := map[string]*targetGroup{"tg-a": {arn: "tg-a"}, "tg-b": {arn: "tg-b"}}
	cases := []struct {
		name    string
		as      []model.Action
		kind    actionKind
		wantErr bool
	}{
		{"forward", []model.Action{{Type: "forward", TargetGroups: []model.WeightedTargetGroup{{ARN: "tg-a"}}}}, actForward, false},
		{"lowest order wins", []model.Action{{Type: "fixed-response", Order: 2, StatusCode: "404"}, {Type: "redirect", Order: 1}}, actRedirect, false},
		{"unknown group", []model.Action{{Type: "forward", TargetGroups: []model.WeightedTargetGroup{{ARN: "nope"}}}}, 0, true},
		{"bad fixed code", []model.Action{{Type: "fixed-response", StatusCode: "abc"}}, 0, true},
		{"bad redirect code", []model.Action{{Type: "redirect", RedirectStatus: "HTTP_307"}}, 0, true},
		{"none", nil, 0, true},
	}
	for _, c := range cases {
		a, err := compileActions(c.as, groups)
		if (err != nil) != c.wantErr {
			t.Errorf("%s: err = %v, wantErr %v", c.name, err, c.wantErr)
			continue
		}
		if err == nil && a.kind != c.kind {
			t.Errorf("%s: kind %d, want %d", c.name, a.kind, c.kind)
		}
	}
}

func TestPickGroupWeightsAndStickiness(t *testing.T) {
	groups := map[string]*targetGroup{"tg-a": {arn: "tg-a"}, "tg-b": {arn: "tg-b"}, "tg-c": {arn: "tg-c"}}
	a, err := compileActions([]model.Action{{Type: "forward", TargetGroups: []model.WeightedTargetGroup{
		{ARN: "tg-a", Weight: 80}, {ARN: "tg-b", Weight: 20}, {ARN: "tg-c", Weight: 0}},
		Stickiness: &model.GroupStickiness{Enabled: true, DurationSeconds: 60}}}, groups)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for i := 0; i < 10000; i++ {
		wg, set := a.pickGroup("")
		if !set {
			t.Fatal("group stickiness must set the cookie")
		}
		counts[wg.tg.arn]++
	}
	if counts["tg-c"] != 0 || counts["tg-a"] < 7500 || counts["tg-a"] > 8500 {
		t.Errorf("weighted split = %v, want ~8000/2000/0", counts)
	}
	b := &a.groups[1]
	for i := 0; i < 100; i++ {
		if wg, _ := a.pickGroup(b.cookie); wg != b {
			t.Fatalf("sticky cookie for tg-b picked %s", wg.tg.arn)
		}
	}
	// A cookie naming a zero-weight group is ignored.
	if wg, _ := a.pickGroup(a.groups[2].cookie); wg == &a.groups[2] {
		t.Error("zero-weight group picked through its cookie")
	}
}
