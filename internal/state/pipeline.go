package state

import (
	"context"
	"fmt"
	"sort"

	"github.com/wharfhq/wharf/internal/model"
)

// Key prefixes of pipelines (CodePipeline): the current declaration, every
// version of it (GetPipeline --version), and executions.
const (
	prefixPipelines        = "pipelines/"
	prefixPipelineVersions = "pipelineversions/"
	prefixPipelineExecs    = "pipelineexecs/"
)

func registerPipelines(s *State) {
	s.cache.Register(prefixPipelines, decoder[model.Pipeline]())
	s.cache.Register(prefixPipelineVersions, decoder[model.Pipeline]())
	s.cache.Register(prefixPipelineExecs, decoder[model.PipelineExecution]())
}

func pipelineVersionKey(name string, version int32) string {
	return fmt.Sprintf("%s%s/%010d", prefixPipelineVersions, name, version)
}

// Pipeline returns a pipeline from the cache.
func (s *State) Pipeline(name string) (*model.Pipeline, bool) {
	v, _, ok := get[model.Pipeline](s, prefixPipelines+name)
	return v, ok
}

// PipelineVersion returns one version of a pipeline's declaration.
func (s *State) PipelineVersion(name string, version int32) (*model.Pipeline, bool) {
	v, _, ok := get[model.Pipeline](s, pipelineVersionKey(name, version))
	return v, ok
}

// Pipelines returns every pipeline, sorted by name.
func (s *State) Pipelines() []*model.Pipeline { return list[model.Pipeline](s, prefixPipelines) }

// CreatePipeline stores a new pipeline (version 1); ErrExists if the name
// is taken.
func (s *State) CreatePipeline(ctx context.Context, p *model.Pipeline) error {
	if err := create(ctx, s, prefixPipelines+p.Name, p); err != nil {
		return err
	}
	return s.putVersion(ctx, p)
}

// UpdatePipeline applies fn to a pipeline with compare-and-swap and keeps
// the result as a new version when fn changed the declaration's Version.
func (s *State) UpdatePipeline(ctx context.Context, name string, fn func(*model.Pipeline) error) (*model.Pipeline, error) {
	before, _ := s.Pipeline(name)
	p, err := mutate(ctx, s, prefixPipelines+name, fn)
	if err != nil {
		return nil, err
	}
	if before == nil || p.Version != before.Version {
		if err := s.putVersion(ctx, p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (s *State) putVersion(ctx context.Context, p *model.Pipeline) error {
	key := pipelineVersionKey(p.Name, p.Version)
	if _, _, ok := get[model.Pipeline](s, key); ok {
		return nil
	}
	return create(ctx, s, key, p)
}

// DeletePipeline removes a pipeline, its versions and its executions.
func (s *State) DeletePipeline(ctx context.Context, name string) error {
	if err := s.remove(ctx, prefixPipelines+name); err != nil {
		return err
	}
	for _, e := range s.cache.List(prefixPipelineVersions + name + "/") {
		_ = s.remove(ctx, e.Key)
	}
	for _, e := range s.cache.List(prefixPipelineExecs + name + "/") {
		_ = s.remove(ctx, e.Key)
	}
	return nil
}

// PipelineExecution returns one execution.
func (s *State) PipelineExecution(pipeline, id string) (*model.PipelineExecution, bool) {
	v, _, ok := get[model.PipelineExecution](s, prefixPipelineExecs+pipeline+"/"+id)
	return v, ok
}

// PipelineExecutions returns a pipeline's executions ("" for every
// pipeline's), newest first.
func (s *State) PipelineExecutions(pipeline string) []*model.PipelineExecution {
	prefix := prefixPipelineExecs
	if pipeline != "" {
		prefix += pipeline + "/"
	}
	out := list[model.PipelineExecution](s, prefix)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].StartTime.Equal(out[j].StartTime) {
			return out[i].StartTime.After(out[j].StartTime)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// CreatePipelineExecution stores a new execution.
func (s *State) CreatePipelineExecution(ctx context.Context, e *model.PipelineExecution) error {
	return create(ctx, s, prefixPipelineExecs+e.Pipeline+"/"+e.ID, e)
}

// UpdatePipelineExecution applies fn to an execution with compare-and-swap.
func (s *State) UpdatePipelineExecution(ctx context.Context, pipeline, id string, fn func(*model.PipelineExecution) error) (*model.PipelineExecution, error) {
	return mutate(ctx, s, prefixPipelineExecs+pipeline+"/"+id, fn)
}
