package buildrun

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wharfhq/wharf/internal/agentapi"
	"github.com/wharfhq/wharf/internal/build/source"
	"github.com/wharfhq/wharf/internal/model"
)

// workspaceServer records, for each reported state, whether the build's
// workspace still existed when the state arrived.
type workspaceServer struct {
	ws string

	mu     sync.Mutex
	final  *model.BuildState
	wsLeft bool
}

func (s *workspaceServer) PutBuildState(_ context.Context, _ string, st model.BuildState) error {
	if !st.Complete {
		return nil
	}
	_, err := os.Stat(s.ws)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.final, s.wsLeft = &st, err == nil
	return nil
}

func (*workspaceServer) UploadArtifact(context.Context, string, io.Reader) (agentapi.ArtifactInfo, error) {
	return agentapi.ArtifactInfo{}, errors.New("no artifacts here")
}

func (*workspaceServer) DownloadArtifact(context.Context, string, io.Writer) error {
	return errors.New("no artifacts here")
}

func (*workspaceServer) ResolveSecret(context.Context, string, string) (string, error) {
	return "", errors.New("no secrets here")
}

// TestFinalStateAfterCleanup: a client that sees a build complete must
// find nothing of it left (CodeBuild's FINALIZING comes before COMPLETED),
// so the workspace (and, for containers, the build container) is removed
// before the final state is reported.
func TestFinalStateAfterCleanup(t *testing.T) {
	work := t.TempDir()
	b := model.Build{
		ID:          "p:0123",
		Source:      model.BuildSource{Type: source.TypeNoSource, Buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi > out.txt\n"},
		Environment: model.BuildEnvironment{Type: model.EnvLinuxHost, Image: "wharf/host"},
	}
	srv := &workspaceServer{ws: filepath.Join(work, workspaceName(b.ID))}
	r := New(context.Background(), Config{Server: srv, WorkDir: work, CacheDir: t.TempDir()})
	r.Sync(context.Background(), []agentapi.DesiredBuild{{Build: b}})
	r.Wait()

	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.final == nil {
		t.Fatal("no final state reported")
	}
	if srv.final.Status != model.BuildSucceeded {
		t.Fatalf("build %s: %+v", srv.final.Status, srv.final.Phases)
	}
	if srv.wsLeft {
		t.Fatal("the workspace still existed when the final state was reported")
	}
}
