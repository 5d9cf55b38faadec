package registry

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// errWriter fails after accepting limit bytes.
type errWriter struct {
	buf   bytes.Buffer
	limit int
}

func (w *errWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.limit {
		return 0, errors.New("disk full")
	}
	return w.buf.Write(p)
}

// failingReader returns data and then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadAheadCopiesExactly(t *testing.T) {
	for _, size := range []int{0, 1, uploadChunk - 1, uploadChunk, uploadChunk + 1, 3*uploadChunk + 12345} {
		src := make([]byte, size)
		_, _ = rand.Read(src)
		var dst bytes.Buffer
		n, err := io.Copy(&dst, readAhead{io.NopCloser(bytes.NewReader(src))})
		if err != nil || n != int64(size) || !bytes.Equal(dst.Bytes(), src) {
			t.Fatalf("size %d: copied %d, err %v, equal %v", size, n, err, bytes.Equal(dst.Bytes(), src))
		}
	}
}

func TestReadAheadReportsErrors(t *testing.T) {
	src := make([]byte, 5*uploadChunk)
	w := &errWriter{limit: 2 * uploadChunk}
	n, err := io.Copy(w, readAhead{io.NopCloser(bytes.NewReader(src))})
	if err == nil || err.Error() != "disk full" || n != 2*uploadChunk {
		t.Fatalf("write error: copied %d, err %v; want 2 MiB, disk full", n, err)
	}
	broken := errors.New("connection reset")
	var dst bytes.Buffer
	n, err = io.Copy(&dst, readAhead{io.NopCloser(&failingReader{data: src[:uploadChunk+7], err: broken})})
	if !errors.Is(err, broken) || n != uploadChunk+7 {
		t.Fatalf("read error: copied %d, err %v; want %d, connection reset", n, err, uploadChunk+7)
	}
}

// Large uploads go through the read-ahead: a streamed PATCH of unknown
// length, chunked PATCHes with Content-Range, a PUT carrying the last
// chunk, and a monolithic POST, for sha256 and sha512.
func TestLargeUploads(t *testing.T) {
	_, srv := testRegistry(t, Config{AutoCreate: true})
	blob := make([]byte, 5*uploadChunk+333)
	_, _ = rand.Read(blob)
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA512} {
		d := alg.FromBytes(blob)
		check := func(how, repo string) {
			t.Helper()
			resp, body := do(t, "GET", srv.URL+"/v2/"+repo+"/blobs/"+d.String(), nil)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, blob) || resp.Header.Get("Docker-Content-Digest") != d.String() {
				t.Fatalf("%s %s: GET %d, %d bytes, digest %s", how, alg, resp.StatusCode, len(body), resp.Header.Get("Docker-Content-Digest"))
			}
		}
		start := func(repo string) string {
			t.Helper()
			resp, body := do(t, "POST", srv.URL+"/v2/"+repo+"/blobs/uploads/", nil)
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("start upload: %d %s", resp.StatusCode, body)
			}
			return resp.Header.Get("Location")
		}
		put := func(how, loc string, body []byte) {
			t.Helper()
			sep := "?"
			if strings.Contains(loc, "?") {
				sep = "&"
			}
			resp, rb := do(t, "PUT", srv.URL+strings.TrimPrefix(loc, srv.URL)+sep+"digest="+d.String(), body, "Content-Type", "application/octet-stream")
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("%s %s: PUT %d %s", how, alg, resp.StatusCode, rb)
			}
		}

		// Streamed: one PATCH without a length (chunked transfer encoding).
		repo := "large/streamed-" + string(alg)
		loc := start(repo)
		req, _ := http.NewRequest("PATCH", srv.URL+strings.TrimPrefix(loc, srv.URL), io.MultiReader(bytes.NewReader(blob)))
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Range") != fmt.Sprintf("0-%d", len(blob)-1) {
			t.Fatalf("streamed PATCH: %d, Range %q", resp.StatusCode, resp.Header.Get("Range"))
		}
		put("streamed", resp.Header.Get("Location"), nil)
		check("streamed", repo)

		// Chunked: two PATCHes with Content-Range, the rest with the PUT;
		// an out-of-order chunk is refused.
		repo = "large/chunked-" + string(alg)
		loc = start(repo)
		cut1, cut2 := 2*uploadChunk+5, 4*uploadChunk+9
		resp, body := do(t, "PATCH", srv.URL+strings.TrimPrefix(loc, srv.URL), blob[:cut1],
			"Content-Type", "application/octet-stream", "Content-Range", fmt.Sprintf("0-%d", cut1-1))
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("chunk 1: %d %s", resp.StatusCode, body)
		}
		loc = resp.Header.Get("Location")
		resp, _ = do(t, "PATCH", srv.URL+strings.TrimPrefix(loc, srv.URL), blob[cut2:],
			"Content-Type", "application/octet-stream", "Content-Range", fmt.Sprintf("%d-%d", cut2, len(blob)-1))
		if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			t.Fatalf("out-of-order chunk: %d, want 416", resp.StatusCode)
		}
		resp, body = do(t, "PATCH", srv.URL+strings.TrimPrefix(loc, srv.URL), blob[cut1:cut2],
			"Content-Type", "application/octet-stream", "Content-Range", fmt.Sprintf("%d-%d", cut1, cut2-1))
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("chunk 2: %d %s", resp.StatusCode, body)
		}
		put("chunked", resp.Header.Get("Location"), blob[cut2:])
		check("chunked", repo)

		// Monolithic POST ?digest=.
		repo = "large/monolithic-" + string(alg)
		resp, body = do(t, "POST", srv.URL+"/v2/"+repo+"/blobs/uploads/?digest="+d.String(), blob, "Content-Type", "application/octet-stream")
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Docker-Content-Digest") != d.String() {
			t.Fatalf("monolithic POST: %d %s", resp.StatusCode, body)
		}
		check("monolithic", repo)
	}

	// A body that does not match the digest is refused.
	resp, body := do(t, "POST", srv.URL+"/v2/large/bad/blobs/uploads/?digest="+digest.FromString("other").String(), blob, "Content-Type", "application/octet-stream")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "DIGEST_INVALID") {
		t.Fatalf("mismatched POST: %d %s", resp.StatusCode, body)
	}
}
