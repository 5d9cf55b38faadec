package gitsource

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseLocation(t *testing.T) {
	for _, tt := range []struct {
		id      string
		want    location
		problem string // in the error, when it fails
	}{
		{id: "https://git.example.com/acme/web.git", want: location{url: "https://git.example.com/acme/web.git", display: "https://git.example.com/acme/web.git"}},
		{id: "http://127.0.0.1:3000/acme/web", want: location{url: "http://127.0.0.1:3000/acme/web", display: "http://127.0.0.1:3000/acme/web"}},
		{id: "https://ci:tok3n@github.com/acme/web.git",
			want: location{url: "https://ci:tok3n@github.com/acme/web.git", display: "https://github.com/acme/web.git", secrets: []string{"ci:tok3n@", "tok3n"}}},
		{id: "https://tok3n@github.com/acme/web.git",
			want: location{url: "https://tok3n@github.com/acme/web.git", display: "https://github.com/acme/web.git", secrets: []string{"tok3n@"}}},
		{id: "file:///srv/git/web.git", want: location{url: "file:///srv/git/web.git", display: "file:///srv/git/web.git", local: "/srv/git/web.git"}},
		{id: "file://localhost/srv/git/web.git/", want: location{url: "file://localhost/srv/git/web.git/", display: "file://localhost/srv/git/web.git/", local: "/srv/git/web.git"}},
		{id: " /srv/git/../git/web ", want: location{url: "/srv/git/../git/web", display: "/srv/git/../git/web", local: "/srv/git/web"}},
		{id: "acme/web", problem: "wharf has no connections to resolve owner/repo names"},
		{id: "web", problem: "is not a git URL"},
		{id: "git@github.com:acme/web.git", problem: "uses ssh"},
		{id: "ssh://git@github.com/acme/web.git", problem: "uses ssh"},
		{id: "ftp://example.com/web.git", problem: "not ftp"},
		{id: "file://server/share/web.git", problem: "needs an absolute path"},
		{id: "file:relative", problem: "needs an absolute path"},
		{id: "https:///acme/web.git", problem: "has no host"},
	} {
		t.Run(tt.id, func(t *testing.T) {
			got, err := parseLocation(tt.id)
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("parseLocation = %+v, %v; want an error mentioning %q", got, err, tt.problem)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseLocation = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestScrub(t *testing.T) {
	for _, tt := range []struct{ id, msg, want string }{
		{"https://ci:tok3n@github.com/acme/web.git", `Get "https://ci:tok3n@github.com/acme/web.git/info/refs": EOF`,
			`Get "https://github.com/acme/web.git/info/refs": EOF`},
		{"https://ci:tok3n@github.com/acme/web.git", "password tok3n refused", "password  refused"},
		{"https://tok3n@github.com/acme/web.git", `Get "https://tok3n@github.com/acme/web.git/info/refs": EOF`,
			`Get "https://github.com/acme/web.git/info/refs": EOF`},
		{"https://github.com/acme/web.git", "nothing to hide", "nothing to hide"},
	} {
		loc, err := parseLocation(tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if got := loc.scrub(tt.msg); got != tt.want {
			t.Errorf("scrub(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}
