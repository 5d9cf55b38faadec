package agentsvc

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/wharfhq/wharf/internal/agentapi"
	"github.com/wharfhq/wharf/internal/artifacts"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// desiredBuilds answers an agent's long poll for the builds placed on it.
func (s *Service) desiredBuilds(w http.ResponseWriter, r *http.Request) {
	cluster, id := r.PathValue("cluster"), r.PathValue("id")
	ci, ok := s.st.Instance(cluster, id)
	if !ok || ci.Status == model.InstanceInactive {
		http.Error(w, "container instance "+id+" is not registered in cluster "+cluster, http.StatusNotFound)
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	wait, _ := strconv.Atoi(r.URL.Query().Get("wait"))
	if after > 0 && wait > 0 {
		s.waitForChange(r.Context(), "builds/", after, min(time.Duration(wait)*time.Second, maxWait))
	}
	out := agentapi.DesiredBuilds{Revision: s.st.Revision(), Builds: []agentapi.DesiredBuild{}}
	for _, b := range s.st.Builds("") {
		if b.Cluster != cluster || b.InstanceID != id {
			continue
		}
		_, st, _ := s.st.Build(b.ID)
		if st != nil && st.Complete {
			continue
		}
		out.Builds = append(out.Builds, agentapi.DesiredBuild{Build: *b, State: st})
	}
	writeJSON(w, out)
}

func (s *Service) putBuildState(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var st model.BuildState
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&st); err != nil {
		http.Error(w, "bad build state: "+err.Error(), http.StatusBadRequest)
		return
	}
	if _, _, ok := s.st.Build(id); !ok {
		http.Error(w, "build "+id+" not found", http.StatusNotFound)
		return
	}
	err := s.st.PutBuildState(r.Context(), id, st)
	switch {
	case err == nil, errors.Is(err, state.ErrStaleState):
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, state.ErrNotFound):
		http.Error(w, "build "+id+" not found", http.StatusNotFound)
	default:
		s.logger.Error("store build state", "build", id, "err", err)
		http.Error(w, "cannot store build state", http.StatusServiceUnavailable)
	}
}

func (s *Service) putArtifact(w http.ResponseWriter, r *http.Request) {
	info, err := s.artifacts.Put(r.PathValue("key"), r.Body)
	if err != nil {
		http.Error(w, "store artifact: "+err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, agentapi.ArtifactInfo{Key: info.Key, Size: info.Size, SHA256: info.SHA256, MD5: info.MD5})
}

func (s *Service) resolveSecret(w http.ResponseWriter, r *http.Request) {
	var req agentapi.SecretRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
		http.Error(w, "bad secret request: "+err.Error(), http.StatusBadRequest)
		return
	}
	v, err := s.secrets.Resolve(r.Context(), req.Kind, req.Ref)
	if err != nil {
		// The message is the secret store's: it names the reference, never a value.
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	writeJSON(w, agentapi.SecretValue{Value: v})
}

func (s *Service) getArtifact(w http.ResponseWriter, r *http.Request) {
	f, err := s.artifacts.Open(r.PathValue("key"))
	if errors.Is(err, artifacts.ErrNotFound) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "open artifact: "+err.Error(), http.StatusBadRequest)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = io.Copy(w, f)
}
