package codebuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wharfhq/wharf/internal/api"
	w "github.com/wharfhq/wharf/internal/api/codebuild/cbwire"
	"github.com/wharfhq/wharf/internal/build/placement"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// idempotencyWindow is how long an idempotencyToken names the build it
// started.
const idempotencyWindow = 5 * time.Minute

// initiator is who CodeBuild says started a build. wharf has no IAM
// users, so it is the account root, as for AWS root credentials.
const initiator = "root"

// StartBuild implements CodeBuild StartBuild: it stores the project's
// settings with the request's overrides as a new build, numbered after the
// project's last one, and places it on an eligible container instance (or
// leaves it QUEUED for the queue controller).
func (h *Handler) StartBuild(ctx context.Context, in *w.StartBuildInput) (*w.StartBuildOutput, error) {
	name := h.projectName(in.ProjectName)
	p, ok := h.st.BuildProject(name)
	if !ok {
		return nil, h.projectNotFound(name)
	}
	b, err := buildFromRequest(p, in)
	if err != nil {
		return nil, err
	}
	b.IdempotencyToken = in.IdempotencyToken
	created, st, err := h.start(ctx, b, p)
	if err != nil {
		return nil, err
	}
	return &w.StartBuildOutput{Build: h.buildToWire(created, st)}, nil
}

// buildFromRequest returns the settings of a build of p with the overrides
// of in applied: everything but its identity, number, time and placement.
// LogStream holds the stream prefix, if any, until start adds the UUID.
func buildFromRequest(p *model.BuildProject, in *w.StartBuildInput) (*model.Build, error) {
	if err := checkNoSecondarySources(len(in.SecondarySourcesOverride), "secondarySourcesOverride"); err != nil {
		return nil, err
	}
	b := &model.Build{
		Project:            p.Name,
		Initiator:          initiator,
		SourceVersion:      p.SourceVersion,
		Source:             p.Source,
		Artifacts:          p.Artifacts,
		SecondaryArtifacts: p.SecondaryArtifacts,
		Environment:        p.Environment,
		Cache:              p.Cache,
		ServiceRole:        p.ServiceRole,
		TimeoutInMinutes:   p.TimeoutInMinutes,
		QueuedTimeout:      p.QueuedTimeout,
	}
	// Source.
	if in.SourceVersion != "" {
		b.SourceVersion = in.SourceVersion
	}
	if in.SourceTypeOverride != "" {
		b.Source.Type = string(in.SourceTypeOverride)
	}
	if in.SourceLocationOverride != "" {
		b.Source.Location = in.SourceLocationOverride
	}
	if in.BuildspecOverride != "" {
		b.Source.Buildspec = in.BuildspecOverride
	}
	if in.GitCloneDepthOverride > 0 {
		b.Source.GitCloneDepth = in.GitCloneDepthOverride
	}
	if in.InsecureSslOverride != nil {
		b.Source.InsecureSSL = *in.InsecureSslOverride
	}
	// Errors name the override when there is one, else the project's member.
	locField, buildspecField := "source.location", "source.buildspec"
	if in.SourceTypeOverride != "" || in.SourceLocationOverride != "" {
		locField = "sourceLocationOverride"
	}
	if in.SourceTypeOverride != "" || in.BuildspecOverride != "" {
		buildspecField = "buildspecOverride"
	}
	if err := checkSource(b.Source, locField, buildspecField); err != nil {
		return nil, err
	}
	// Environment.
	env := &b.Environment
	env.Variables = mergeVariables(p.Environment.Variables, variablesFromWire(in.EnvironmentVariablesOverride))
	if in.ImageOverride != "" {
		env.Image = in.ImageOverride
	}
	if in.EnvironmentTypeOverride != "" {
		env.Type = string(in.EnvironmentTypeOverride)
	}
	if in.ComputeTypeOverride != "" {
		env.ComputeType = string(in.ComputeTypeOverride)
	}
	if in.PrivilegedModeOverride != nil {
		env.PrivilegedMode = *in.PrivilegedModeOverride
	}
	if in.CertificateOverride != "" {
		env.Certificate = in.CertificateOverride
	}
	if in.ImagePullCredentialsTypeOverride != "" {
		env.ImagePullCredentialsType = string(in.ImagePullCredentialsTypeOverride)
	}
	// Timeouts, role.
	if in.TimeoutInMinutesOverride != 0 {
		b.TimeoutInMinutes = in.TimeoutInMinutesOverride
	}
	if in.QueuedTimeoutInMinutesOverride != 0 {
		b.QueuedTimeout = in.QueuedTimeoutInMinutesOverride
	}
	if in.ServiceRoleOverride != "" {
		b.ServiceRole = in.ServiceRoleOverride
	}
	// Artifacts.
	artField, secField := "artifacts", "secondaryArtifacts"
	if in.ArtifactsOverride != nil {
		b.Artifacts, artField = artifactsFromWire(in.ArtifactsOverride), "artifactsOverride"
	}
	if in.SecondaryArtifactsOverride != nil {
		b.SecondaryArtifacts, secField = secondaryArtifactsFromWire(in.SecondaryArtifactsOverride), "secondaryArtifactsOverride"
	}
	if err := checkArtifacts(b.Artifacts, artField); err != nil {
		return nil, err
	}
	if err := checkSecondaryArtifacts(b.SecondaryArtifacts, secField); err != nil {
		return nil, err
	}
	// Cache.
	cacheField, privField := "cache", "environment.privilegedMode"
	if in.CacheOverride != nil {
		b.Cache, cacheField = cacheFromWire(in.CacheOverride), "cacheOverride"
	}
	if in.PrivilegedModeOverride != nil {
		privField = "privilegedModeOverride"
	}
	if err := checkCache(b.Cache, cacheField, env.PrivilegedMode, privField); err != nil {
		return nil, err
	}
	// Logs: the project's CloudWatch Logs settings, or the override's.
	logs := p.Logs
	if in.LogsConfigOverride != nil {
		logs = logsFromWire(in.LogsConfigOverride)
	}
	if logs.Status != string(w.LogsConfigStatusTypeDisabled) {
		b.LogGroup = logs.GroupName
		if b.LogGroup == "" {
			b.LogGroup = "/aws/codebuild/" + p.Name
		}
		b.LogStream = logs.StreamName
	}
	return b, nil
}

// start gives settings b an identity, number, log stream, start time and
// placement and stores it with its first state, unless b's idempotency
// token names a recent build: then that build is returned if it has the
// same settings, and a mismatch error if not.
func (h *Handler) start(ctx context.Context, b *model.Build, p *model.BuildProject) (*model.Build, *model.BuildState, error) {
	if b.IdempotencyToken != "" {
		h.tokens.Lock()
		defer h.tokens.Unlock()
		prev, err := h.idempotentBuild(b)
		if err != nil || prev != nil {
			if err != nil {
				return nil, nil, err
			}
			_, st, _ := h.st.Build(prev.ID)
			return prev, st, nil
		}
	}
	if err := h.checkConcurrentLimit(p); err != nil {
		return nil, nil, err
	}
	updated, err := h.st.UpdateBuildProject(ctx, b.Project, func(p *model.BuildProject) error {
		p.BuildCounter++
		return nil
	})
	if err != nil {
		return nil, nil, h.mapError(err, b.Project)
	}
	id := uuid.NewString()
	b.ID = b.Project + ":" + id
	b.ARN = h.buildARN(b.ID)
	b.Number = updated.BuildCounter
	b.StartTime = h.st.Now()
	if b.LogGroup != "" {
		if b.LogStream != "" {
			b.LogStream += "/" + id
		} else {
			b.LogStream = id
		}
	}
	cluster, instance, placed := h.place()
	if placed {
		b.Cluster, b.InstanceID = cluster, instance
	}
	st := initialState(b.StartTime, placed)
	if err := h.st.CreateBuild(ctx, b, st); err != nil {
		return nil, nil, fmt.Errorf("store build %s: %w", b.ID, err)
	}
	h.logger.Info("build started", "build", b.ID, "number", b.Number, "cluster", b.Cluster, "instance", b.InstanceID)
	return b, st, nil
}

// initialState is a new build's state: SUBMITTED is over, QUEUED runs
// until an agent takes the build. CurrentPhase says SUBMITTED once the
// build is placed, as CodeBuild's StartBuild answer does, and QUEUED while
// it waits for an instance.
func initialState(now time.Time, placed bool) *model.BuildState {
	st := &model.BuildState{
		Version: 1,
		Status:  model.BuildInProgress,
		Phases: []model.BuildPhase{
			{Type: string(w.BuildPhaseTypeSubmitted), Status: model.BuildSucceeded, Start: now, End: now},
			{Type: string(w.BuildPhaseTypeQueued), Status: model.BuildInProgress, Start: now},
		},
		CurrentPhase: string(w.BuildPhaseTypeQueued),
	}
	if placed {
		st.CurrentPhase = string(w.BuildPhaseTypeSubmitted)
	}
	return st
}

// idempotentBuild returns the build started within the idempotency window
// with b's token, nil if there is none, or a mismatch error when that
// build's settings differ from b's.
func (h *Handler) idempotentBuild(b *model.Build) (*model.Build, error) {
	since := h.st.Now().Add(-idempotencyWindow)
	for _, prev := range h.st.Builds("") { // newest first
		if prev.StartTime.Before(since) {
			return nil, nil
		}
		if prev.IdempotencyToken != b.IdempotencyToken {
			continue
		}
		if !sameSettings(prev, b) {
			return nil, api.Errorf(errIdempotentMismatch,
				"The idempotency token %s was used by build %s with different parameters", b.IdempotencyToken, prev.ID)
		}
		return prev, nil
	}
	return nil, nil
}

// sameSettings reports whether two builds would run the same way: they
// differ only in identity, number, time, placement and stop request.
func sameSettings(a, b *model.Build) bool {
	strip := func(x *model.Build) []byte {
		c := *x
		c.ID, c.ARN, c.Number, c.StartTime = "", "", 0, time.Time{}
		c.Cluster, c.InstanceID, c.StopRequested, c.LogStream = "", "", false, ""
		buf, _ := json.Marshal(c)
		return buf
	}
	return string(strip(a)) == string(strip(b))
}

// checkConcurrentLimit refuses a build when the project's builds in
// progress have reached its concurrentBuildLimit.
func (h *Handler) checkConcurrentLimit(p *model.BuildProject) error {
	if p.ConcurrentLimit <= 0 {
		return nil
	}
	active := 0
	for _, b := range h.st.Builds(p.Name) {
		if _, st, ok := h.st.Build(b.ID); ok && (st == nil || !st.Complete) {
			active++
		}
	}
	if active >= int(p.ConcurrentLimit) {
		return api.Errorf(w.ErrAccountLimitExceededException,
			"Cannot have more than %d active builds for the project %s", p.ConcurrentLimit, p.Name)
	}
	return nil
}

// place picks the container instance for a new build among the instances
// of every ACTIVE cluster, counting the builds in progress on each.
func (h *Handler) place() (cluster, id string, ok bool) {
	var instances []*model.ContainerInstance
	for _, c := range h.st.Clusters() {
		if c.Status != model.ClusterActive {
			continue
		}
		for _, ci := range h.st.Instances(c.Name) {
			cp := *ci
			// Heartbeats are recorded apart from the instance record.
			if hb, ok := h.st.LastHeartbeat(c.Name, ci.ID); ok && hb.After(cp.LastHeartbeat) {
				cp.LastHeartbeat = hb
			}
			instances = append(instances, &cp)
		}
	}
	if len(instances) == 0 {
		return "", "", false
	}
	running := map[string]int{}
	for _, b := range h.st.Builds("") {
		if b.InstanceID == "" {
			continue
		}
		if _, st, ok := h.st.Build(b.ID); ok && st != nil && st.Complete {
			continue
		}
		running[placement.Key(b.Cluster, b.InstanceID)]++
	}
	return placement.Place(instances, running, h.st.Now())
}

// StopBuild implements CodeBuild StopBuild. It asks the agent running the
// build to stop it; a build not placed yet is stopped at once. Stopping a
// complete build returns it unchanged.
func (h *Handler) StopBuild(ctx context.Context, in *w.StopBuildInput) (*w.StopBuildOutput, error) {
	id := h.buildID(in.Id)
	b, st, ok := h.st.Build(id)
	if !ok {
		return nil, buildNotFound(in.Id)
	}
	if st != nil && st.Complete {
		return &w.StopBuildOutput{Build: h.buildToWire(b, st)}, nil
	}
	placed := false
	_, err := h.st.UpdateBuild(ctx, id, func(b *model.Build) error {
		b.StopRequested = true
		placed = b.InstanceID != ""
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		return nil, buildNotFound(in.Id)
	}
	if err != nil {
		return nil, err
	}
	if !placed {
		_, cur, _ := h.st.Build(id)
		err := h.st.PutBuildState(ctx, id, stoppedState(cur, h.st.Now()))
		switch {
		case errors.Is(err, state.ErrNotFound):
			return nil, buildNotFound(in.Id)
		case errors.Is(err, state.ErrStaleState):
			// An agent took the build meanwhile; it sees StopRequested.
		case err != nil:
			return nil, err
		}
	}
	b, st, ok = h.st.Build(id)
	if !ok {
		return nil, buildNotFound(in.Id)
	}
	h.logger.Info("build stop requested", "build", id, "placed", placed)
	return &w.StopBuildOutput{Build: h.buildToWire(b, st)}, nil
}

// stoppedState is the final state of a build stopped before it ran: open
// phases end STOPPED now and a COMPLETED phase begins.
func stoppedState(cur *model.BuildState, now time.Time) model.BuildState {
	var st model.BuildState
	if cur != nil {
		st = *cur
		st.Phases = make([]model.BuildPhase, len(cur.Phases))
		copy(st.Phases, cur.Phases)
	}
	for i := range st.Phases {
		ph := &st.Phases[i]
		if ph.End.IsZero() {
			ph.End = now
			if ph.Status == "" || ph.Status == model.BuildInProgress {
				ph.Status = model.BuildStopped
			}
		}
	}
	st.Phases = append(st.Phases, model.BuildPhase{Type: string(w.BuildPhaseTypeCompleted), Start: now})
	st.Version++
	st.Status = model.BuildStopped
	st.CurrentPhase = string(w.BuildPhaseTypeCompleted)
	st.EndTime = now
	st.Complete = true
	return st
}

// RetryBuild implements CodeBuild RetryBuild: a new build of the same
// project with the settings of the build retried (its overrides included)
// and the next number. A request without an id only replays the build its
// idempotencyToken started within the last five minutes.
func (h *Handler) RetryBuild(ctx context.Context, in *w.RetryBuildInput) (*w.RetryBuildOutput, error) {
	if in.Id == "" {
		if in.IdempotencyToken != "" {
			if b := h.recentBuild(in.IdempotencyToken); b != nil {
				_, st, _ := h.st.Build(b.ID)
				return &w.RetryBuildOutput{Build: h.buildToWire(b, st)}, nil
			}
		}
		return nil, fieldError("id", "is required")
	}
	src, _, ok := h.st.Build(h.buildID(in.Id))
	if !ok {
		return nil, buildNotFound(in.Id)
	}
	p, ok := h.st.BuildProject(src.Project)
	if !ok {
		return nil, h.projectNotFound(src.Project)
	}
	b := *src
	b.ID, b.ARN, b.Number, b.StartTime = "", "", 0, time.Time{}
	b.Cluster, b.InstanceID, b.StopRequested = "", "", false
	b.IdempotencyToken = in.IdempotencyToken
	// Keep the stream prefix, drop the old build's UUID.
	if _, oldUUID, ok := strings.Cut(src.ID, ":"); ok {
		b.LogStream = strings.TrimSuffix(strings.TrimSuffix(src.LogStream, oldUUID), "/")
	}
	created, st, err := h.start(ctx, &b, p)
	if err != nil {
		return nil, err
	}
	return &w.RetryBuildOutput{Build: h.buildToWire(created, st)}, nil
}

// recentBuild returns the build started within the idempotency window
// with token, or nil.
func (h *Handler) recentBuild(token string) *model.Build {
	since := h.st.Now().Add(-idempotencyWindow)
	for _, b := range h.st.Builds("") {
		if b.StartTime.Before(since) {
			return nil
		}
		if b.IdempotencyToken == token {
			return b
		}
	}
	return nil
}
