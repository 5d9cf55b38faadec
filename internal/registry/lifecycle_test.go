package registry

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

func img(name string, age time.Duration, tags ...string) Image {
	return Image{Digest: digest.FromString(name), Tags: tags, PushedAt: t0.Add(-age)}
}

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func TestEvaluateLifecycle(t *testing.T) {
	day := 24 * time.Hour
	images := []Image{
		img("v1", 10*day, "v1"), img("v2", 9*day, "v2"), img("v3", 8*day, "v3", "stable"), img("v4", 7*day, "v4"),
		img("u1", 6*day), img("u2", 5*day), img("u3", 1*day),
		img("dev1", 3*day, "dev-1"), img("dev2", 2*day, "dev-2"),
	}
	names := map[digest.Digest]string{}
	for _, i := range images {
		names[i.Digest] = strings.Join(i.Tags, ",")
		if len(i.Tags) == 0 {
			names[i.Digest] = "untagged@" + i.PushedAt.Format("01-02")
		}
	}
	cases := []struct {
		name, policy string
		want         []string // "image:rule"
	}{
		{"keep newest 2 v* tagged, expire untagged older than 2 days", `{"rules":[
			{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}},
			{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":2},"action":{"type":"expire"}}]}`,
			[]string{"v1:1", "v2:1", "untagged@05-26:2", "untagged@05-27:2"}},
		{"a higher rule's match protects from lower rules", `{"rules":[
			{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["*stable*"],"countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}},
			{"rulePriority":9,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`,
			[]string{"v1:9", "v2:9", "v4:9", "untagged@05-26:9", "untagged@05-27:9", "dev-1:9", "dev-2:9"}},
		{"all prefixes must match some tag", `{"rules":[
			{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v","stab"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}`,
			[]string{"v3,stable:1"}},
		{"patterns", `{"rules":[
			{"rulePriority":3,"selection":{"tagStatus":"tagged","tagPatternList":["dev-*"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`,
			[]string{"dev-1:3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParseLifecyclePolicy(c.policy)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range EvaluateLifecycle(p, images, t0) {
				got = append(got, fmt.Sprintf("%s:%d", names[e.Image.Digest], e.RulePriority))
			}
			sort.Strings(got)
			want := append([]string(nil), c.want...)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("expired %v, want %v", got, want)
			}
		})
	}
}

func TestParseLifecyclePolicyRejects(t *testing.T) {
	rule := func(prio int, sel string) string {
		return fmt.Sprintf(`{"rulePriority":%d,"selection":%s,"action":{"type":"expire"}}`, prio, sel)
	}
	for name, text := range map[string]string{
		"not json":            `{`,
		"no rules":            `{"rules":[]}`,
		"duplicate priority":  `{"rules":[` + rule(1, `{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1}`) + `,` + rule(1, `{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1}`) + `]}`,
		"tagged without list": `{"rules":[` + rule(1, `{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1}`) + `]}`,
		"untagged with list":  `{"rules":[` + rule(1, `{"tagStatus":"untagged","tagPrefixList":["a"],"countType":"imageCountMoreThan","countNumber":1}`) + `]}`,
		"any not last":        `{"rules":[` + rule(1, `{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1}`) + `,` + rule(2, `{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1}`) + `]}`,
		"days without unit":   `{"rules":[` + rule(1, `{"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":1}`) + `]}`,
		"unit with count":     `{"rules":[` + rule(1, `{"tagStatus":"untagged","countType":"imageCountMoreThan","countUnit":"days","countNumber":1}`) + `]}`,
		"zero count":          `{"rules":[` + rule(1, `{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":0}`) + `]}`,
		"unknown field":       `{"rules":[` + rule(1, `{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1,"x":1}`) + `]}`,
	} {
		if _, err := ParseLifecyclePolicy(text); err == nil {
			t.Errorf("%s: accepted %s", name, text)
		}
	}
}
