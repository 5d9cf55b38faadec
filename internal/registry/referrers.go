package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// manifestHead is the part of any manifest (image, index, Docker or OCI)
// the registry looks at.
type manifestHead struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *v1.Descriptor    `json:"config"`
	Subject       *v1.Descriptor    `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
	Layers        []v1.Descriptor   `json:"layers"`
	Manifests     []v1.Descriptor   `json:"manifests"`
}

func parseManifestHead(body []byte) (manifestHead, error) {
	var m manifestHead
	err := json.Unmarshal(body, &m)
	return m, err
}

// referrerDescriptor is how a manifest that names a subject appears in
// the subject's referrers list.
func referrerDescriptor(m manifestHead, mediaType string, dgst digest.Digest, size int64) v1.Descriptor {
	if m.MediaType != "" {
		mediaType = m.MediaType
	}
	at := m.ArtifactType
	if at == "" && m.Config != nil {
		at = m.Config.MediaType
	}
	return v1.Descriptor{MediaType: mediaType, Digest: dgst, Size: size, ArtifactType: at, Annotations: m.Annotations}
}

// referrerIndex maps subject digests to the manifests that refer to them,
// per repository. A repository's part is built on first use by scanning
// its manifests, then kept up to date as manifests are pushed and deleted.
type referrerIndex struct {
	scan  func(ctx context.Context, repo string) (map[digest.Digest]map[digest.Digest]v1.Descriptor, error)
	mu    sync.Mutex
	repos map[string]map[digest.Digest]map[digest.Digest]v1.Descriptor // repo → subject → referrer → descriptor
}

func newReferrerIndex(scan func(context.Context, string) (map[digest.Digest]map[digest.Digest]v1.Descriptor, error)) *referrerIndex {
	return &referrerIndex{scan: scan, repos: map[string]map[digest.Digest]map[digest.Digest]v1.Descriptor{}}
}

// load returns the repository's index, scanning it first if needed.
// Callers hold ix.mu.
func (ix *referrerIndex) load(ctx context.Context, repo string) (map[digest.Digest]map[digest.Digest]v1.Descriptor, error) {
	if m, ok := ix.repos[repo]; ok {
		return m, nil
	}
	m, err := ix.scan(ctx, repo)
	if err != nil {
		return nil, err
	}
	ix.repos[repo] = m
	return m, nil
}

// add records a referrer (only if the repository was loaded: otherwise
// the first scan finds it).
func (ix *referrerIndex) add(repo string, subject digest.Digest, desc v1.Descriptor) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	m, ok := ix.repos[repo]
	if !ok {
		return
	}
	if m[subject] == nil {
		m[subject] = map[digest.Digest]v1.Descriptor{}
	}
	m[subject][desc.Digest] = desc
}

// remove forgets the referrers whose digest is one of dgsts.
func (ix *referrerIndex) remove(repo string, dgsts ...digest.Digest) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, refs := range ix.repos[repo] {
		for _, d := range dgsts {
			delete(refs, d)
		}
	}
}

func (ix *referrerIndex) forget(repo string) {
	ix.mu.Lock()
	delete(ix.repos, repo)
	ix.mu.Unlock()
}

// list returns the referrers of subject, filtered by artifactType when
// it is not empty, sorted by digest.
func (ix *referrerIndex) list(ctx context.Context, repo string, subject digest.Digest, artifactType string) ([]v1.Descriptor, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	m, err := ix.load(ctx, repo)
	if err != nil {
		return nil, err
	}
	out := []v1.Descriptor{}
	for _, d := range m[subject] {
		if artifactType == "" || d.ArtifactType == artifactType {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Digest < out[j].Digest })
	return out, nil
}

// scanReferrers reads every manifest of a repository and indexes those
// that carry a subject.
func (r *Registry) scanReferrers(ctx context.Context, repo string) (map[digest.Digest]map[digest.Digest]v1.Descriptor, error) {
	out := map[digest.Digest]map[digest.Digest]v1.Descriptor{}
	err := r.eachManifest(ctx, repo, func(dgst digest.Digest, mediaType string, body []byte) error {
		m, err := parseManifestHead(body)
		if err != nil || m.Subject == nil {
			return nil
		}
		// A manifest pushed by a sha512 digest is listed under it.
		digests := r.aliases.of(repo, dgst)
		if len(digests) == 0 {
			digests = []digest.Digest{dgst}
		}
		for _, d := range digests {
			desc := referrerDescriptor(m, mediaType, d, int64(len(body)))
			if out[m.Subject.Digest] == nil {
				out[m.Subject.Digest] = map[digest.Digest]v1.Descriptor{}
			}
			out[m.Subject.Digest][d] = desc
		}
		return nil
	})
	return out, err
}

// eachManifest calls fn with every manifest stored in repo. A repository
// without content yields nothing.
func (r *Registry) eachManifest(ctx context.Context, repo string, fn func(dgst digest.Digest, mediaType string, body []byte) error) error {
	named, err := reference.WithName(repo)
	if err != nil {
		return err
	}
	rp, err := r.ns.Repository(ctx, named)
	if err != nil {
		return err
	}
	ms, err := rp.Manifests(ctx)
	if err != nil {
		return err
	}
	en, ok := ms.(distribution.ManifestEnumerator)
	if !ok {
		return errors.New("registry: manifest store cannot enumerate")
	}
	err = en.Enumerate(ctx, func(dgst digest.Digest) error {
		m, err := ms.Get(ctx, dgst)
		if err != nil {
			if isNotFound(err) {
				return nil // deleted meanwhile
			}
			return fmt.Errorf("read manifest %s: %w", dgst, err)
		}
		mt, body, err := m.Payload()
		if err != nil {
			return err
		}
		return fn(dgst, mt, body)
	})
	if isNotFound(err) {
		return nil
	}
	return err
}

// isNotFound reports the library's "nothing there" errors.
func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	var unk distribution.ErrManifestUnknownRevision
	var rnf distribution.ErrRepositoryUnknown
	var mnf distribution.ErrManifestUnknown
	if errors.As(err, &unk) || errors.As(err, &rnf) || errors.As(err, &mnf) || errors.Is(err, distribution.ErrBlobUnknown) {
		return true
	}
	return isPathNotFound(err)
}
