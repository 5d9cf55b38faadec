package codebuild

import (
	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/codebuild/cbwire"
	"github.com/wharfhq/wharf/internal/model"
)

// buildToWire merges a build's spec (what the server decided) and its state
// (what the agent reported) into CodeBuild's Build. A nil state reads as a
// build just submitted.
func (h *Handler) buildToWire(b *model.Build, st *model.BuildState) *w.Build {
	if st == nil {
		st = &model.BuildState{Status: model.BuildInProgress, CurrentPhase: string(w.BuildPhaseTypeSubmitted)}
	}
	out := &w.Build{
		Id:                     b.ID,
		Arn:                    b.ARN,
		BuildNumber:            b.Number,
		ProjectName:            b.Project,
		Initiator:              b.Initiator,
		SourceVersion:          b.SourceVersion,
		ResolvedSourceVersion:  st.ResolvedSourceVersion,
		StartTime:              awsjson.NewTimestamp(b.StartTime),
		EndTime:                awsjson.NewTimestamp(st.EndTime),
		BuildStatus:            w.StatusType(st.Status),
		CurrentPhase:           st.CurrentPhase,
		BuildComplete:          st.Complete,
		Source:                 sourceToWire(b.Source),
		Environment:            environmentToWire(b.Environment),
		Cache:                  cacheToWire(b.Cache),
		ServiceRole:            b.ServiceRole,
		TimeoutInMinutes:       int32Ptr(b.TimeoutInMinutes),
		QueuedTimeoutInMinutes: int32Ptr(b.QueuedTimeout),
		EncryptionKey:          h.defaultEncryptionKey(),
		Logs:                   h.logsLocation(b),
		Phases:                 phasesToWire(st.Phases),
	}
	for _, v := range st.Exported {
		out.ExportedEnvironmentVariables = append(out.ExportedEnvironmentVariables, w.ExportedEnvironmentVariable{Name: v.Name, Value: v.Value})
	}
	// Artifacts: the configured ones, with where the agent put them.
	results := map[string]*model.BuildArtifactResult{}
	for i := range st.Artifacts {
		results[st.Artifacts[i].Identifier] = &st.Artifacts[i]
	}
	primary := artifactToWire(b.Artifacts, results[""])
	out.Artifacts = &primary
	configured := map[string]bool{"": true}
	for _, a := range b.SecondaryArtifacts {
		configured[a.Identifier] = true
		out.SecondaryArtifacts = append(out.SecondaryArtifacts, artifactToWire(a, results[a.Identifier]))
	}
	// Secondary artifacts only the buildspec declared (a pipeline's extra
	// outputs) are reported too.
	for i := range st.Artifacts {
		r := &st.Artifacts[i]
		if !configured[r.Identifier] {
			configured[r.Identifier] = true
			out.SecondaryArtifacts = append(out.SecondaryArtifacts,
				artifactToWire(model.BuildArtifacts{Type: b.Artifacts.Type, Identifier: r.Identifier}, r))
		}
	}
	return out
}

// artifactToWire reports an artifact; once uploaded, its location is the
// S3-style ARN of its key in wharf's artifact store.
func artifactToWire(a model.BuildArtifacts, r *model.BuildArtifactResult) w.BuildArtifacts {
	out := w.BuildArtifacts{ArtifactIdentifier: a.Identifier}
	if a.OverrideArtifactName {
		out.OverrideArtifactName = boolPtr(true)
	}
	if a.EncryptionDisabled {
		out.EncryptionDisabled = boolPtr(true)
	}
	if r != nil && a.Type != string(w.ArtifactsTypeNoArtifacts) && r.Key != "" {
		out.Location = "arn:aws:s3:::" + r.Key
		out.Sha256sum, out.Md5sum = r.SHA256, r.MD5
	}
	return out
}

func phasesToWire(in []model.BuildPhase) []w.BuildPhase {
	var out []w.BuildPhase
	for _, p := range in {
		wp := w.BuildPhase{
			PhaseType:   w.BuildPhaseType(p.Type),
			PhaseStatus: w.StatusType(p.Status),
			StartTime:   awsjson.NewTimestamp(p.Start),
			EndTime:     awsjson.NewTimestamp(p.End),
		}
		if !p.End.IsZero() && !p.Start.IsZero() && p.End.After(p.Start) {
			wp.DurationInSeconds = int64(p.End.Sub(p.Start).Seconds())
		}
		for _, c := range p.Contexts {
			wp.Contexts = append(wp.Contexts, w.PhaseContext{StatusCode: c.StatusCode, Message: c.Message})
		}
		out = append(out, wp)
	}
	return out
}

// logsLocation names the build's CloudWatch Logs group and stream in
// wharf's log store. There is no console, so deepLink stays empty.
func (h *Handler) logsLocation(b *model.Build) *w.LogsLocation {
	disabled := &w.S3LogsConfig{Status: w.LogsConfigStatusTypeDisabled}
	if b.LogGroup == "" {
		return &w.LogsLocation{CloudWatchLogs: &w.CloudWatchLogsConfig{Status: w.LogsConfigStatusTypeDisabled}, S3Logs: disabled}
	}
	return &w.LogsLocation{
		GroupName:  b.LogGroup,
		StreamName: b.LogStream,
		CloudWatchLogsArn: "arn:aws:logs:" + h.region + ":" + h.account + ":log-group:" + b.LogGroup +
			":log-stream:" + b.LogStream,
		CloudWatchLogs: &w.CloudWatchLogsConfig{Status: w.LogsConfigStatusTypeEnabled, GroupName: b.LogGroup, StreamName: b.LogStream},
		S3Logs:         disabled,
	}
}
