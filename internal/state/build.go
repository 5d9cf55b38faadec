package state

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/wharfhq/wharf/internal/model"
)

// Key prefixes of the build service (CodeBuild). A build's spec (what the
// server decided) and state (what the agent reports) live apart, like a
// task's, so the two writers never contend.
const (
	prefixBuildProjects = "buildprojects/"
	prefixBuilds        = "builds/"
	prefixBuildStates   = "buildstates/"
)

func registerBuilds(s *State) {
	s.cache.Register(prefixBuildProjects, decoder[model.BuildProject]())
	s.cache.Register(prefixBuilds, decoder[model.Build]())
	s.cache.Register(prefixBuildStates, decoder[model.BuildState]())
}

// buildKey keys a build by project and UUID: a build id is PROJECT:UUID.
func buildKey(id string) (string, error) {
	project, uuid, ok := strings.Cut(id, ":")
	if !ok || project == "" || uuid == "" {
		return "", fmt.Errorf("build %q: %w", id, ErrNotFound)
	}
	return project + "/" + uuid, nil
}

// BuildProject returns a project from the cache.
func (s *State) BuildProject(name string) (*model.BuildProject, bool) {
	v, _, ok := get[model.BuildProject](s, prefixBuildProjects+name)
	return v, ok
}

// BuildProjects returns every project, sorted by name.
func (s *State) BuildProjects() []*model.BuildProject {
	return list[model.BuildProject](s, prefixBuildProjects)
}

// CreateBuildProject stores a new project; ErrExists if the name is taken.
func (s *State) CreateBuildProject(ctx context.Context, p *model.BuildProject) error {
	return create(ctx, s, prefixBuildProjects+p.Name, p)
}

// UpdateBuildProject applies fn to a stored project with compare-and-swap.
func (s *State) UpdateBuildProject(ctx context.Context, name string, fn func(*model.BuildProject) error) (*model.BuildProject, error) {
	return mutate(ctx, s, prefixBuildProjects+name, fn)
}

// DeleteBuildProject removes a project; its builds stay readable.
func (s *State) DeleteBuildProject(ctx context.Context, name string) error {
	return s.remove(ctx, prefixBuildProjects+name)
}

// Build returns a build and its state (nil before the first report).
func (s *State) Build(id string) (*model.Build, *model.BuildState, bool) {
	key, err := buildKey(id)
	if err != nil {
		return nil, nil, false
	}
	b, _, ok := get[model.Build](s, prefixBuilds+key)
	if !ok {
		return nil, nil, false
	}
	st, _, _ := get[model.BuildState](s, prefixBuildStates+key)
	return b, st, true
}

// Builds returns the builds of a project ("" for all), newest first.
func (s *State) Builds(project string) []*model.Build {
	prefix := prefixBuilds
	if project != "" {
		prefix += project + "/"
	}
	out := list[model.Build](s, prefix)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].StartTime.Equal(out[j].StartTime) {
			return out[i].StartTime.After(out[j].StartTime)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// CreateBuild stores a new build with its first state.
func (s *State) CreateBuild(ctx context.Context, b *model.Build, st *model.BuildState) error {
	key, err := buildKey(b.ID)
	if err != nil {
		return err
	}
	if err := create(ctx, s, prefixBuildStates+key, st); err != nil {
		return err
	}
	return create(ctx, s, prefixBuilds+key, b)
}

// UpdateBuild applies fn to a build's spec with compare-and-swap.
func (s *State) UpdateBuild(ctx context.Context, id string, fn func(*model.Build) error) (*model.Build, error) {
	key, err := buildKey(id)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, s, prefixBuilds+key, fn)
}

// PutBuildState records a build's state unless a newer one is stored
// (ErrStaleState) or the stored one is already complete.
func (s *State) PutBuildState(ctx context.Context, id string, st model.BuildState) error {
	key, err := buildKey(id)
	if err != nil {
		return err
	}
	_, err = mutate(ctx, s, prefixBuildStates+key, func(old *model.BuildState) error {
		if st.Version < old.Version || old.Complete {
			return ErrStaleState
		}
		*old = st
		return nil
	})
	return err
}

// DeleteBuild removes a build's spec and state.
func (s *State) DeleteBuild(ctx context.Context, id string) error {
	key, err := buildKey(id)
	if err != nil {
		return err
	}
	if err := s.remove(ctx, prefixBuilds+key); err != nil {
		return err
	}
	if err := s.remove(ctx, prefixBuildStates+key); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}
