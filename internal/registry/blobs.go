package registry

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/distribution/distribution/v3"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// serveBlob answers blob GET/HEAD/DELETE. The library stores every blob
// under its sha256 digest and links other digests (sha512) to it; it then
// reports the sha256 digest, so wharf puts back the one asked for.
func (r *Registry) serveBlob(w http.ResponseWriter, req *http.Request, name, ref string) {
	d, err := digest.Parse(ref)
	if err != nil {
		r.app.ServeHTTP(w, req)
		return
	}
	r.access.touch(d)
	if d.Algorithm() == digest.SHA256 {
		if req.Method == http.MethodGet && r.sendBlob(w, req, name, d) {
			return
		}
		r.app.ServeHTTP(w, req)
		return
	}
	r.app.ServeHTTP(&hookWriter{ResponseWriter: w, hook: func(status int) int {
		if status == http.StatusOK || status == http.StatusPartialContent {
			w.Header().Set("Docker-Content-Digest", d.String())
		}
		return status
	}}, req)
}

// sendBlob serves a blob's bytes straight from its file, so that the
// kernel copies them (sendfile) instead of the library's buffered copy. It
// answers only when the repository links the blob; otherwise the library
// answers (and words the error).
func (r *Registry) sendBlob(w http.ResponseWriter, req *http.Request, name string, d digest.Digest) bool {
	ctx := req.Context()
	rp, err := r.repository(ctx, name)
	if err != nil {
		return false
	}
	desc, err := rp.Blobs(ctx).Stat(ctx, d)
	if err != nil || desc.Digest != d {
		return false
	}
	f, err := os.Open(filepath.Join(r.cfg.Dir, filepath.FromSlash(blobDataPath(d))))
	if err != nil {
		return false
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Docker-Distribution-API-Version", "registry/2.0")
	h.Set("Etag", `"`+d.String()+`"`)
	h.Set("Cache-Control", "max-age=31536000")
	http.ServeContent(w, req, "", time.Time{}, f)
	return true
}

// serveUpload handles blob upload requests: it completes monolithic POST
// uploads (POST ?digest=, which the library answers with an upload
// session), finds a source for mounts without ?from=, links mounted
// sha512 digests, and reports sha512 digests back as pushed.
func (r *Registry) serveUpload(w http.ResponseWriter, req *http.Request, name, rest string) {
	q := req.URL.Query()
	dg, _ := digest.Parse(q.Get("digest"))
	mount, _ := digest.Parse(q.Get("mount"))
	for _, d := range []digest.Digest{dg, mount} {
		if d != "" {
			r.access.touch(d)
		}
	}
	if req.Method == http.MethodPatch || req.Method == http.MethodPut || (req.Method == http.MethodPost && dg != "") {
		withReadAhead(req)
	}
	switch {
	case req.Method == http.MethodPost && rest == "" && mount != "":
		r.mountBlob(w, req, name, mount)
	case req.Method == http.MethodPost && rest == "" && dg != "":
		r.postBlob(w, req, name, dg)
	case req.Method == http.MethodPut && dg != "" && dg.Algorithm() != digest.SHA256:
		r.app.ServeHTTP(&hookWriter{ResponseWriter: w, hook: func(status int) int {
			if status == http.StatusCreated {
				reportDigest(w.Header(), dg)
			}
			return status
		}}, req)
	default:
		r.app.ServeHTTP(w, req)
	}
}

// reportDigest rewrites the digest headers of a created blob to d.
func reportDigest(h http.Header, d digest.Digest) {
	if old := h.Get("Docker-Content-Digest"); old != "" {
		h.Set("Location", strings.Replace(h.Get("Location"), old, d.String(), 1))
	}
	h.Set("Docker-Content-Digest", d.String())
}

// postBlob stores a blob sent whole in the POST that opens the upload.
func (r *Registry) postBlob(w http.ResponseWriter, req *http.Request, name string, d digest.Digest) {
	if !d.Algorithm().Available() {
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "unsupported digest algorithm "+string(d.Algorithm()))
		return
	}
	ctx := req.Context()
	rp, err := r.repository(ctx, name)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	bw, err := rp.Blobs(ctx).Create(ctx)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	n, err := io.Copy(bw, req.Body)
	if err != nil {
		_ = bw.Cancel(ctx)
		writeError(w, http.StatusBadRequest, "BLOB_UPLOAD_INVALID", "cannot read the blob: "+err.Error())
		return
	}
	if req.ContentLength >= 0 && n != req.ContentLength {
		_ = bw.Cancel(ctx)
		writeError(w, http.StatusBadRequest, "SIZE_INVALID", "the body does not match Content-Length")
		return
	}
	if _, err := bw.Commit(ctx, v1.Descriptor{Digest: d, Size: n}); err != nil {
		_ = bw.Cancel(ctx)
		var bad distribution.ErrBlobInvalidDigest
		if errors.As(err, &bad) {
			writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "the blob does not match digest "+d.String())
			return
		}
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Docker-Distribution-API-Version", "registry/2.0")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// mountBlob links a blob from another repository. Without ?from= it looks
// for a repository holding the blob (the spec's anonymous mount); when
// none does it lets the library open an ordinary upload (202).
func (r *Registry) mountBlob(w http.ResponseWriter, req *http.Request, name string, d digest.Digest) {
	ctx := req.Context()
	q := req.URL.Query()
	from := q.Get("from")
	if from == "" {
		if src := r.findBlobSource(req, name, d); src != "" {
			from = src
			q.Set("from", src)
			req = req.Clone(ctx)
			req.URL.RawQuery = q.Encode()
			req.RequestURI = req.URL.RequestURI()
		}
	}
	var canonical digest.Digest
	if from != "" && d.Algorithm() != digest.SHA256 {
		if src, err := r.repository(ctx, from); err == nil {
			if desc, err := src.Blobs(ctx).Stat(ctx, d); err == nil {
				canonical = desc.Digest
			}
		}
	}
	r.app.ServeHTTP(&hookWriter{ResponseWriter: w, hook: func(status int) int {
		if status != http.StatusCreated || canonical == "" {
			return status
		}
		// The library links a mounted sha512 blob under one digest only;
		// a repository needs both links (the layout the library writes on
		// upload): the sha512 one to find the blob, the sha256 one to
		// serve it.
		for _, l := range []digest.Digest{d, canonical} {
			link := path.Join(repoStoragePath(name), "_layers", string(l.Algorithm()), l.Encoded(), "link")
			if err := r.driver.PutContent(ctx, link, []byte(canonical.String())); err != nil {
				r.log.Error("registry: link mounted blob", "digest", d, "err", err)
				return http.StatusInternalServerError
			}
		}
		reportDigest(w.Header(), d)
		return status
	}}, req)
}

// findBlobSource returns a repository, other than name, that holds d.
func (r *Registry) findBlobSource(req *http.Request, name string, d digest.Digest) string {
	ctx := req.Context()
	for _, repo := range r.repos.list() {
		if repo.Name == name {
			continue
		}
		rp, err := r.repository(ctx, repo.Name)
		if err != nil {
			continue
		}
		if _, err := rp.Blobs(ctx).Stat(ctx, d); err == nil {
			return repo.Name
		}
	}
	return ""
}
