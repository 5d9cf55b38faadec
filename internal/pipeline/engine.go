package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// Errors of Start.
var (
	ErrPipelineNotFound = errors.New("pipeline not found")
	ErrUnknownVariable  = errors.New("variable not declared in the pipeline")
)

// Engine runs pipeline executions: it moves them through their stages
// (Step), starts their actions with the providers and polls them. All its
// progress is in the state, so a restarted engine resumes where the last
// one stood.
type Engine struct {
	State     *state.State
	Providers map[string]Provider // by ProviderKey
	// Interval is how often executions are looked at; default 500ms.
	Interval time.Duration
	Logger   *slog.Logger

	mu     sync.Mutex // serialises Start per engine (idempotency tokens)
	tokens map[string]tokenUse
}

type tokenUse struct {
	id  string
	at  time.Time
	sig string
}

// StartOptions are the inputs of a new execution.
type StartOptions struct {
	TriggerType   string // StartPipelineExecution, CreatePipeline, Webhook, ...
	TriggerDetail string
	// Variables override the pipeline's variable defaults by name.
	Variables map[string]string
	// SourceRevisions pins source actions (action name → commit id);
	// the others take their branch head when the execution starts.
	SourceRevisions map[string]string
	// ClientRequestToken makes Start idempotent for 24 hours.
	ClientRequestToken string
}

// Start creates an execution of the pipeline's current version, waiting at
// its first stage.
func (e *Engine) Start(ctx context.Context, name string, o StartOptions) (*model.PipelineExecution, error) {
	p, ok := e.State.Pipeline(name)
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrPipelineNotFound)
	}
	vars := map[string]string{}
	for _, v := range p.Variables {
		vars[v.Name] = v.DefaultValue
	}
	for k, v := range o.Variables {
		if _, ok := vars[k]; !ok {
			return nil, fmt.Errorf("%s: %w", k, ErrUnknownVariable)
		}
		vars[k] = v
	}
	now := e.State.Now()
	sig := fmt.Sprint(name, o.Variables, o.SourceRevisions)
	e.mu.Lock()
	defer e.mu.Unlock()
	if o.ClientRequestToken != "" {
		if e.tokens == nil {
			e.tokens = map[string]tokenUse{}
		}
		if u, ok := e.tokens[o.ClientRequestToken]; ok && now.Sub(u.at) < 24*time.Hour && u.sig == sig {
			if ex, ok := e.State.PipelineExecution(name, u.id); ok {
				return ex, nil
			}
		}
	}
	ex := &model.PipelineExecution{
		ID: uuid.NewString(), Pipeline: name, PipelineVersion: p.Version,
		Status: model.ExecInProgress, Mode: p.ExecutionMode,
		TriggerType: o.TriggerType, TriggerDetail: o.TriggerDetail,
		Variables: vars, StartTime: now, LastUpdate: now,
		Stage: 0, Waiting: true, SourceRevisions: o.SourceRevisions,
	}
	for _, st := range p.Stages {
		ex.Stages = append(ex.Stages, model.StageExecution{Name: st.Name})
	}
	if err := e.State.CreatePipelineExecution(ctx, ex); err != nil {
		return nil, err
	}
	if o.ClientRequestToken != "" {
		e.tokens[o.ClientRequestToken] = tokenUse{id: ex.ID, at: now, sig: sig}
	}
	e.logger().Info("pipeline execution started", "pipeline", name, "execution", ex.ID, "trigger", o.TriggerType)
	return ex, nil
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.Default()
	}
	return e.Logger
}

// active returns a pipeline's executions that are not finished, oldest
// first.
func (e *Engine) active(name string) []*model.PipelineExecution {
	var out []*model.PipelineExecution
	for _, ex := range e.State.PipelineExecutions(name) {
		if !model.ExecTerminal(ex.Status) {
			out = append(out, ex)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartTime.Before(out[j].StartTime) })
	return out
}
