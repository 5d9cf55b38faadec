package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxManifestSize is the largest manifest accepted (the library's limit).
const maxManifestSize = 4 << 20

// route splits /v2/<name>/<kind>/<rest>.
var routeRE = regexp.MustCompile(`^/v2/(.+)/(manifests|blobs/uploads|blobs|tags|referrers)/(.*)$`)

// ServeHTTP serves the OCI distribution API under /v2/.
//
// Most requests go straight to the library. wharf steps in to
// authenticate, to check that the repository exists (ECR refuses pushes to
// unknown repositories), and for what the library lacks: the referrers
// API, the OCI-Subject header, manifests addressed by sha512 digests, the
// ?tag= parameters of a manifest PUT and ECR's tag immutability.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if !r.authorized(req) {
		w.Header().Set("WWW-Authenticate", `Basic realm="wharf"`)
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required: docker login with the password from aws ecr get-login-password (user AWS)")
		return
	}
	m := routeRE.FindStringSubmatch(req.URL.Path)
	if m == nil {
		r.app.ServeHTTP(w, req)
		return
	}
	name, kind, rest := m[1], m[2], m[3]
	if _, err := reference.WithName(name); err != nil {
		r.app.ServeHTTP(w, req) // the library answers NAME_INVALID
		return
	}
	push := (kind == "manifests" && req.Method == http.MethodPut) || (kind == "blobs/uploads" && req.Method != http.MethodGet && req.Method != http.MethodHead && req.Method != http.MethodDelete)
	repo, err := r.ensureRepository(name, push)
	if err != nil {
		if errors.Is(err, ErrRepositoryNotFound) {
			writeError(w, http.StatusNotFound, "NAME_UNKNOWN", fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", name, r.cfg.Account))
			return
		}
		r.log.Error("registry: auto-create repository", "repository", name, "err", err)
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	switch kind {
	case "referrers":
		if req.Method != http.MethodGet {
			writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "referrers are read with GET")
			return
		}
		r.serveReferrers(w, req, name, rest)
	case "manifests":
		switch req.Method {
		case http.MethodPut:
			r.putManifest(w, req, repo, rest)
		case http.MethodDelete:
			r.deleteManifest(w, req, name, rest)
		case http.MethodGet, http.MethodHead:
			r.getManifest(w, req, name, rest)
		default:
			r.app.ServeHTTP(w, req)
		}
	case "blobs":
		r.serveBlob(w, req, name, rest)
	case "blobs/uploads":
		r.serveUpload(w, req, name, rest)
	default:
		r.app.ServeHTTP(w, req)
	}
}

// writeError writes an OCI distribution error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": code, "message": message}}})
	_, _ = w.Write(b)
}

// hookWriter lets a handler adjust headers and status just before the
// library's response goes out.
type hookWriter struct {
	http.ResponseWriter
	hook  func(status int) int
	wrote bool
}

func (h *hookWriter) WriteHeader(code int) {
	if !h.wrote {
		h.wrote = true
		code = h.hook(code)
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *hookWriter) Write(b []byte) (int, error) {
	if !h.wrote {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(b)
}

func (h *hookWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// forward sends req to the library with another manifest reference,
// query and body.
func (r *Registry) forward(w http.ResponseWriter, req *http.Request, name, ref string, query url.Values, body []byte) {
	r2 := req.Clone(req.Context())
	r2.URL.Path = "/v2/" + name + "/manifests/" + ref
	r2.URL.RawPath = ""
	r2.URL.RawQuery = query.Encode()
	r2.RequestURI = r2.URL.RequestURI()
	if body != nil {
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		r2.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	r.app.ServeHTTP(w, r2)
}

func (r *Registry) putManifest(w http.ResponseWriter, req *http.Request, repo Repository, ref string) {
	name := repo.Name
	body, err := io.ReadAll(io.LimitReader(req.Body, maxManifestSize+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "MANIFEST_INVALID", "cannot read the manifest: "+err.Error())
		return
	}
	if len(body) > maxManifestSize {
		writeError(w, http.StatusRequestEntityTooLarge, "SIZE_INVALID", "the manifest exceeds 4 MiB")
		return
	}
	canon := digest.SHA256.FromBytes(body)
	pushed := canon
	query := req.URL.Query()
	tags := query["tag"]
	query.Del("tag")
	target := canon.String()
	if d, err := digest.Parse(ref); err == nil {
		if !d.Algorithm().Available() {
			writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "unsupported digest algorithm "+string(d.Algorithm()))
			return
		}
		if d.Algorithm().FromBytes(body) != d {
			writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "the manifest does not match digest "+d.String())
			return
		}
		pushed = d
	} else if strings.Contains(ref, ":") {
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest "+ref)
		return
	} else {
		target = ref
		tags = append([]string{ref}, tags...)
	}
	for _, t := range tags {
		if !tagRE.MatchString(t) {
			writeError(w, http.StatusBadRequest, "TAG_INVALID", "invalid tag "+t)
			return
		}
	}
	head, _ := parseManifestHead(body) // the library judges validity

	unlock := r.locks.Lock(name)
	defer unlock()
	r.gc.RLock()
	defer r.gc.RUnlock()
	ctx := req.Context()
	rp, err := r.repository(ctx, name)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	for _, t := range tags {
		cur, err := rp.Tags(ctx).Get(ctx, t)
		if err == nil && cur.Digest != canon && repo.TagIsImmutable(t) {
			writeError(w, http.StatusBadRequest, "TAG_INVALID", fmt.Sprintf("The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the tag is immutable.", t, name))
			return
		}
	}
	extra := tags
	if target != canon.String() {
		extra = tags[1:] // the library tags the URL's tag itself
	}
	mediaType := req.Header.Get("Content-Type")
	hw := &hookWriter{ResponseWriter: w}
	hw.hook = func(status int) int {
		if status != http.StatusCreated {
			return status
		}
		h := w.Header()
		if pushed != canon {
			if err := r.aliases.add(name, pushed, canon); err != nil {
				r.log.Error("registry: record sha512 alias", "err", err)
				return http.StatusInternalServerError
			}
			h.Set("Docker-Content-Digest", pushed.String())
			h.Set("Location", strings.Replace(h.Get("Location"), canon.String(), pushed.String(), 1))
		}
		desc := v1.Descriptor{MediaType: mediaType, Digest: canon, Size: int64(len(body))}
		for _, t := range extra {
			if err := rp.Tags(ctx).Tag(ctx, t, desc); err != nil {
				r.log.Error("registry: tag manifest", "tag", t, "err", err)
				return http.StatusInternalServerError
			}
		}
		if len(extra) > 0 && target == canon.String() {
			h.Set("OCI-Tag", strings.Join(extra, ","))
		}
		if head.Subject != nil {
			h.Set("OCI-Subject", head.Subject.Digest.String())
			r.refs.add(name, head.Subject.Digest, referrerDescriptor(head, mediaType, pushed, int64(len(body))))
		}
		return status
	}
	r.forward(hw, req, name, target, query, body)
}

// tagRE is the OCI tag grammar.
var tagRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

func (r *Registry) getManifest(w http.ResponseWriter, req *http.Request, name, ref string) {
	d, err := digest.Parse(ref)
	if err != nil {
		// By tag: a manifest pushed by a sha512 digest reports that digest.
		r.app.ServeHTTP(&hookWriter{ResponseWriter: w, hook: func(status int) int {
			if status == http.StatusOK {
				if canon, err := digest.Parse(w.Header().Get("Docker-Content-Digest")); err == nil {
					if as := r.aliases.of(name, canon); len(as) > 0 {
						w.Header().Set("Docker-Content-Digest", as[0].String())
					}
				}
			}
			return status
		}}, req)
		return
	}
	if d.Algorithm() == digest.SHA256 {
		r.app.ServeHTTP(w, req)
		return
	}
	canon, ok := r.aliases.resolve(name, d)
	if !ok {
		writeError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown: "+d.String())
		return
	}
	hw := &hookWriter{ResponseWriter: w, hook: func(status int) int {
		if status == http.StatusOK {
			w.Header().Set("Docker-Content-Digest", d.String())
		}
		return status
	}}
	r.forward(hw, req, name, canon.String(), req.URL.Query(), nil)
}

func (r *Registry) deleteManifest(w http.ResponseWriter, req *http.Request, name, ref string) {
	d, err := digest.Parse(ref)
	if err != nil {
		r.app.ServeHTTP(w, req) // a tag: the library untags
		return
	}
	canon := d
	if d.Algorithm() != digest.SHA256 {
		c, ok := r.aliases.resolve(name, d)
		if !ok {
			writeError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown: "+d.String())
			return
		}
		canon = c
	}
	unlock := r.locks.Lock(name)
	defer unlock()
	hw := &hookWriter{ResponseWriter: w, hook: func(status int) int {
		if status == http.StatusAccepted {
			r.afterManifestDelete(name, canon)
		}
		return status
	}}
	r.forward(hw, req, name, canon.String(), req.URL.Query(), nil)
}

// afterManifestDelete drops what wharf keeps about a deleted manifest.
func (r *Registry) afterManifestDelete(name string, canon digest.Digest) {
	gone := append([]digest.Digest{canon}, r.aliases.of(name, canon)...)
	if err := r.aliases.removeCanonical(name, canon); err != nil {
		r.log.Error("registry: drop digest aliases", "err", err)
	}
	r.refs.remove(name, gone...)
}

func (r *Registry) serveReferrers(w http.ResponseWriter, req *http.Request, name, ref string) {
	d, err := digest.Parse(ref)
	if err != nil {
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest "+ref)
		return
	}
	at := req.URL.Query().Get("artifactType")
	list, err := r.refs.list(req.Context(), name, d, at)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	b, err := json.Marshal(v1.Index{
		Versioned: specsVersioned, MediaType: v1.MediaTypeImageIndex, Manifests: list,
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	w.Header().Set("Content-Type", v1.MediaTypeImageIndex)
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if at != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
