package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// testRegistry serves a fresh registry over HTTP.
func testRegistry(t *testing.T, cfg Config) (*Registry, *httptest.Server) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	reg, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg)
	t.Cleanup(func() { srv.Close(); _ = reg.Close() })
	return reg, srv
}

func do(t testing.TB, method, url string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// pushBlob uploads b monolithically and returns its digest.
func pushBlob(t testing.TB, base, repo string, b []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(b)
	resp, body := do(t, "POST", fmt.Sprintf("%s/v2/%s/blobs/uploads/?digest=%s", base, repo, d), b, "Content-Type", "application/octet-stream")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push blob: %d %s", resp.StatusCode, body)
	}
	return d
}

// pushImage pushes a one-layer OCI image (random layer, or the given one)
// under ref (a tag or a digest; "" pushes by digest) and returns its
// manifest digest and layer digest.
func pushImage(t testing.TB, base, repo, ref string, layer []byte) (digest.Digest, digest.Digest) {
	t.Helper()
	if layer == nil {
		layer = make([]byte, 512)
		_, _ = rand.Read(layer)
	}
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}`, digest.FromBytes(layer)))
	cd := pushBlob(t, base, repo, cfg)
	ld := pushBlob(t, base, repo, layer)
	m := v1.Manifest{
		MediaType: v1.MediaTypeImageManifest,
		Config:    v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: cd, Size: int64(len(cfg))},
		Layers:    []v1.Descriptor{{MediaType: v1.MediaTypeImageLayer, Digest: ld, Size: int64(len(layer))}},
	}
	m.SchemaVersion = 2
	body, _ := json.Marshal(m)
	md := digest.FromBytes(body)
	if ref == "" {
		ref = md.String()
	}
	resp, rb := do(t, "PUT", fmt.Sprintf("%s/v2/%s/manifests/%s", base, repo, ref), body, "Content-Type", v1.MediaTypeImageManifest)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push manifest %s:%s: %d %s", repo, ref, resp.StatusCode, rb)
	}
	return md, ld
}
