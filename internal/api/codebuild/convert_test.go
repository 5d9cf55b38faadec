package codebuild

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// TestConvertRoundTrip checks that what a project stores comes back
// unchanged through its wire shape.
func TestConvertRoundTrip(t *testing.T) {
	src := model.BuildSource{Type: "GITHUB", Location: "https://x/y.git", Buildspec: "ci.yml", GitCloneDepth: 1, InsecureSSL: true, Identifier: "main"}
	if got := sourceFromWire(sourceToWire(src)); got != src {
		t.Errorf("source %+v != %+v", got, src)
	}
	for _, a := range []model.BuildArtifacts{
		{Type: "S3", Location: "b", Path: "p", Name: "n.zip", NamespaceType: "BUILD_ID", Packaging: "ZIP", Identifier: "x",
			OverrideArtifactName: true, EncryptionDisabled: true},
		{Type: "NO_ARTIFACTS"},
		{Type: "CODEPIPELINE", Name: "out"},
	} {
		wa := projectArtifactsToWire(a)
		if got := artifactsFromWire(&wa); got != a {
			t.Errorf("artifacts %+v != %+v", got, a)
		}
	}
	env := model.BuildEnvironment{Type: "LINUX_HOST", Image: "i", ComputeType: "BUILD_GENERAL1_SMALL", PrivilegedMode: true,
		Variables:                []model.BuildVariable{{Name: "A", Value: "1", Type: "PLAINTEXT"}, {Name: "S", Value: "/p", Type: "PARAMETER_STORE"}},
		ImagePullCredentialsType: "SERVICE_ROLE", Certificate: "c"}
	if got := environmentFromWire(environmentToWire(env)); !reflect.DeepEqual(got, env) {
		t.Errorf("environment %+v != %+v", got, env)
	}
	cache := model.BuildCache{Type: "LOCAL", Modes: []string{"LOCAL_SOURCE_CACHE", "LOCAL_CUSTOM_CACHE"}, Namespace: "ns"}
	if got := cacheFromWire(cacheToWire(cache)); !reflect.DeepEqual(got, cache) {
		t.Errorf("cache %+v != %+v", got, cache)
	}
	logs := model.BuildLogsConfig{Status: "DISABLED", GroupName: "g", StreamName: "s"}
	if got := logsFromWire(logsToWire(logs)); got != logs {
		t.Errorf("logs %+v != %+v", got, logs)
	}
	if got := logsFromWire(nil); got.Status != "ENABLED" {
		t.Errorf("default logs %+v", got)
	}
}

func TestMergeVariables(t *testing.T) {
	base := []model.BuildVariable{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}
	got := mergeVariables(base, []model.BuildVariable{{Name: "B", Value: "x", Type: "PARAMETER_STORE"}, {Name: "C", Value: "3"}})
	if fmt.Sprint(got) != "[{A 1 } {B x PARAMETER_STORE} {C 3 }]" || base[1].Value != "2" {
		t.Fatalf("merge = %v, base = %v", got, base)
	}
}

func TestPage(t *testing.T) {
	var entries []entry
	for i := range 250 {
		entries = append(entries, entry{key: fmt.Sprintf("k%03d", i), value: fmt.Sprint(i)})
	}
	for _, desc := range []bool{false, true} {
		var all []string
		token := ""
		pages := 0
		for {
			vals, next, err := page(entries, desc, token)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			all = append(all, vals...)
			if next == "" {
				break
			}
			token = next
		}
		first, last := "0", "249"
		if desc {
			first, last = last, first
		}
		if pages != 3 || len(all) != 250 || all[0] != first || all[249] != last {
			t.Fatalf("desc=%v: %d pages, %d values, %s..%s", desc, pages, len(all), all[0], all[len(all)-1])
		}
	}
	// An item deleted between pages does not shift the next page.
	_, next, _ := page(entries, false, "")
	vals, _, _ := page(append(entries[:50:50], entries[51:]...), false, next)
	if vals[0] != "100" {
		t.Fatalf("page after a delete starts at %s", vals[0])
	}
	if _, _, err := page(entries, false, "***"); err == nil || !strings.Contains(err.Error(), "nextToken") {
		t.Fatalf("bad token: %v", err)
	}
}

func TestStoppedState(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0.Add(time.Minute)
	cur := &model.BuildState{Version: 3, Status: "IN_PROGRESS", CurrentPhase: "QUEUED", Phases: []model.BuildPhase{
		{Type: "SUBMITTED", Status: "SUCCEEDED", Start: t0, End: t0},
		{Type: "QUEUED", Status: "IN_PROGRESS", Start: t0},
	}}
	st := stoppedState(cur, now)
	if st.Version != 4 || st.Status != "STOPPED" || !st.Complete || !st.EndTime.Equal(now) || st.CurrentPhase != "COMPLETED" ||
		len(st.Phases) != 3 || st.Phases[0].Status != "SUCCEEDED" || !st.Phases[0].End.Equal(t0) ||
		st.Phases[1].Status != "STOPPED" || !st.Phases[1].End.Equal(now) || st.Phases[2].Type != "COMPLETED" || !st.Phases[2].End.IsZero() {
		t.Fatalf("stopped = %+v", st)
	}
	if !cur.Phases[1].End.IsZero() || cur.Version != 3 || len(cur.Phases) != 2 {
		t.Fatalf("stoppedState changed its input: %+v", cur)
	}
	if st := stoppedState(nil, now); st.Version != 1 || !st.Complete || len(st.Phases) != 1 {
		t.Fatalf("stopped without a state = %+v", st)
	}
}
