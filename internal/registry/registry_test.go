package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestPushToUnknownRepositoryFailsUnlessAutoCreate(t *testing.T) {
	_, srv := testRegistry(t, Config{})
	resp, body := do(t, "POST", srv.URL+"/v2/nope/app/blobs/uploads/", nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "NAME_UNKNOWN") {
		t.Fatalf("push to unknown repository: %d %s, want 404 NAME_UNKNOWN", resp.StatusCode, body)
	}
	reg, srv2 := testRegistry(t, Config{AutoCreate: true})
	pushImage(t, srv2.URL, "auto/app", "1", nil)
	if _, err := reg.Repository("auto/app"); err != nil {
		t.Fatalf("auto-created repository: %v", err)
	}
}

func TestTagImmutability(t *testing.T) {
	reg, srv := testRegistry(t, Config{})
	if _, err := reg.CreateRepository(RepositorySpec{Name: "imm", TagMutability: ImmutableWithExclusion, ExclusionFilters: []string{"latest", "dev-*"}}); err != nil {
		t.Fatal(err)
	}
	md, _ := pushImage(t, srv.URL, "imm", "1.0", nil)
	// Re-pushing the same manifest under the same tag is fine.
	resp, _ := do(t, "GET", srv.URL+"/v2/imm/manifests/1.0", nil, "Accept", v1.MediaTypeImageManifest)
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Content-Digest") != md.String() {
		t.Fatalf("get 1.0: %d %s", resp.StatusCode, resp.Header.Get("Docker-Content-Digest"))
	}
	pushImage(t, srv.URL, "imm", "latest", nil)
	pushImage(t, srv.URL, "imm", "latest", nil) // excluded: mutable
	pushImage(t, srv.URL, "imm", "dev-7", nil)
	pushImage(t, srv.URL, "imm", "dev-7", nil)
	// A different manifest under an immutable tag is refused.
	cfg := []byte(`{}`)
	m := v1.Manifest{MediaType: v1.MediaTypeImageManifest, Config: v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: pushBlob(t, srv.URL, "imm", cfg), Size: 2}}
	m.SchemaVersion = 2
	body, _ := json.Marshal(m)
	resp, rb := do(t, "PUT", srv.URL+"/v2/imm/manifests/1.0", body, "Content-Type", v1.MediaTypeImageManifest)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(rb), "TAG_INVALID") || !strings.Contains(string(rb), "immutable") {
		t.Fatalf("overwrite immutable tag: %d %s, want 400 TAG_INVALID", resp.StatusCode, rb)
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, c := range []struct {
		pat, s string
		want   bool
	}{
		{"prod", "prod", true}, {"prod", "prod1", false}, {"prod*", "prod1", true}, {"*prod", "xprod", true},
		{"v*.*", "v1.2", true}, {"v*.*", "v12", false}, {"*", "", true}, {"a*b*c", "abc", true}, {"a*b*c", "acb", false},
	} {
		if got := wildcardMatch(c.pat, c.s); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", c.pat, c.s, got, c.want)
		}
	}
}

func TestReferrersAndSubjectHeader(t *testing.T) {
	reg, srv := testRegistry(t, Config{})
	if _, err := reg.CreateRepository(RepositorySpec{Name: "art"}); err != nil {
		t.Fatal(err)
	}
	subject, _ := pushImage(t, srv.URL, "art", "1", nil)
	empty := pushBlob(t, srv.URL, "art", []byte("{}"))
	push := func(artifactType string) digest.Digest {
		m := v1.Manifest{MediaType: v1.MediaTypeImageManifest, ArtifactType: artifactType,
			Config:  v1.Descriptor{MediaType: v1.MediaTypeEmptyJSON, Digest: empty, Size: 2},
			Layers:  []v1.Descriptor{{MediaType: v1.MediaTypeEmptyJSON, Digest: empty, Size: 2}},
			Subject: &v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: subject, Size: 1}}
		m.SchemaVersion = 2
		body, _ := json.Marshal(m)
		d := digest.FromBytes(body)
		resp, rb := do(t, "PUT", srv.URL+"/v2/art/manifests/"+d.String(), body, "Content-Type", v1.MediaTypeImageManifest)
		if resp.StatusCode != 201 || resp.Header.Get("OCI-Subject") != subject.String() {
			t.Fatalf("put referrer: %d %s, OCI-Subject %q", resp.StatusCode, rb, resp.Header.Get("OCI-Subject"))
		}
		return d
	}
	sig := push("application/vnd.example.sig")
	sbom := push("application/vnd.example.sbom")
	list := func(query string) (v1.Index, http.Header) {
		resp, b := do(t, "GET", srv.URL+"/v2/art/referrers/"+subject.String()+query, nil)
		var idx v1.Index
		if resp.StatusCode != 200 || json.Unmarshal(b, &idx) != nil {
			t.Fatalf("referrers: %d %s", resp.StatusCode, b)
		}
		return idx, resp.Header
	}
	idx, _ := list("")
	if len(idx.Manifests) != 2 {
		t.Fatalf("referrers = %+v, want 2", idx.Manifests)
	}
	idx, h := list("?artifactType=application/vnd.example.sbom")
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != sbom || h.Get("OCI-Filters-Applied") != "artifactType" {
		t.Fatalf("filtered referrers = %+v (%v), want only %s", idx.Manifests, h, sbom)
	}
	// A new registry instance on the same storage rebuilds the index.
	reg2, err := New(context.Background(), Config{Dir: reg.cfg.Dir})
	if err != nil {
		t.Fatal(err)
	}
	got, err := reg2.refs.list(context.Background(), "art", subject, "")
	if err != nil || len(got) != 2 {
		t.Fatalf("rebuilt index = %v, %v", got, err)
	}
	resp, _ := do(t, "DELETE", srv.URL+"/v2/art/manifests/"+sig.String(), nil)
	if resp.StatusCode != 202 {
		t.Fatalf("delete referrer: %d", resp.StatusCode)
	}
	if idx, _ := list(""); len(idx.Manifests) != 1 || idx.Manifests[0].Digest != sbom {
		t.Fatalf("after delete: %+v", idx.Manifests)
	}
}

// TestGarbageCollectionWhileServing pushes images while garbage collection
// runs in a loop, then checks that every image that was not deleted is
// complete and that the deleted image's own blobs are gone.
func TestGarbageCollectionWhileServing(t *testing.T) {
	// The grace must exceed the time between a blob upload and the manifest
	// push that references it, on a loaded CI machine too.
	const grace = 3 * time.Second
	reg, srv := testRegistry(t, Config{GCGrace: grace})
	if _, err := reg.CreateRepository(RepositorySpec{Name: "gc"}); err != nil {
		t.Fatal(err)
	}
	shared := []byte("shared layer")
	keep, keepLayer := pushImage(t, srv.URL, "gc", "keep", shared)
	drop, dropLayer := pushImage(t, srv.URL, "gc", "drop", nil)
	if _, err := reg.DeleteImage(context.Background(), "gc", ImageRef{Digest: drop.String()}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(grace) // the deleted image's blobs are now old enough to go
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runs, failed int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			// A collection that meets a directory changing under it gives
			// up without deleting anything; the next one goes through.
			if _, err := reg.CollectGarbage(ctx); err != nil {
				failed++
			}
			runs++
		}
	}()
	var pushed []digest.Digest
	for i := range 20 {
		d, _ := pushImage(t, srv.URL, "gc", fmt.Sprintf("t%d", i), nil)
		pushed = append(pushed, d)
		pushImage(t, srv.URL, "gc", fmt.Sprintf("s%d", i), shared)
	}
	cancel()
	wg.Wait()
	t.Logf("%d collections ran during the pushes (%d gave up)", runs, failed)
	if _, err := reg.CollectGarbage(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, d := range append(pushed, keep) {
		resp, b := do(t, "GET", srv.URL+"/v2/gc/manifests/"+d.String(), nil, "Accept", v1.MediaTypeImageManifest)
		if resp.StatusCode != 200 {
			t.Fatalf("manifest %s: %d", d, resp.StatusCode)
		}
		var m v1.Manifest
		_ = json.Unmarshal(b, &m)
		for _, desc := range append(m.Layers, m.Config) {
			if r, _ := do(t, "GET", srv.URL+"/v2/gc/blobs/"+desc.Digest.String(), nil); r.StatusCode != 200 {
				t.Fatalf("blob %s of %s deleted while referenced: %d", desc.Digest, d, r.StatusCode)
			}
		}
	}
	if r, _ := do(t, "GET", srv.URL+"/v2/gc/blobs/"+keepLayer.String(), nil); r.StatusCode != 200 {
		t.Fatalf("shared layer gone")
	}
	if _, err := reg.driver.Stat(context.Background(), blobDataPath(dropLayer)); !isPathNotFound(err) {
		t.Fatalf("unreferenced layer of the deleted image still stored (err %v)", err)
	}
}
