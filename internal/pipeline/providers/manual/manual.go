// Package manual is the Approval/AWS/Manual pipeline action: it waits
// until PutApprovalResult answers its token (Approved or Rejected) or its
// timeout passes; a rejection or timeout fails the action.
package manual

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
)

// DefaultTimeout is CodePipeline's (and its limit): 7 days.
const DefaultTimeout = 7 * 24 * time.Hour

// Provider runs manual approvals.
type Provider struct {
	Now func() time.Time
}

// New returns the manual approval provider.
func New(now func() time.Time) *Provider { return &Provider{Now: now} }

// Start issues the approval token.
func (p *Provider) Start(_ context.Context, job pipeline.Job) (pipeline.Progress, error) {
	token := job.Run.Token
	if token == "" {
		token = uuid.NewString()
	}
	summary := "Waiting for approval"
	if c := job.Config["CustomData"]; c != "" {
		summary += ": " + c
	}
	return pipeline.Progress{Token: token, Summary: summary, ExternalURL: job.Config["ExternalEntityLink"]}, nil
}

// Poll finishes the action once it is answered or timed out.
func (p *Provider) Poll(_ context.Context, job pipeline.Job) (pipeline.Progress, error) {
	switch job.Run.ApprovalStatus {
	case "Approved":
		return pipeline.Progress{Done: true, Status: model.ActionSucceeded, Summary: orDefault(job.Run.ApprovalSummary, "Approved")}, nil
	case "Rejected":
		return pipeline.Progress{Done: true, Status: model.ActionFailed, Summary: orDefault(job.Run.ApprovalSummary, "Rejected"),
			ErrorCode: pipeline.ErrJobFailed, ErrorMessage: "Rejected: " + orDefault(job.Run.ApprovalSummary, "no summary given")}, nil
	}
	timeout := DefaultTimeout
	if job.Action.TimeoutInMinutes > 0 {
		timeout = time.Duration(job.Action.TimeoutInMinutes) * time.Minute
	}
	if p.Now().Sub(job.Run.Start) >= timeout {
		return pipeline.Progress{Done: true, Status: model.ActionFailed, ErrorCode: pipeline.ErrTimeout,
			ErrorMessage: "The approval was not answered within " + timeout.String()}, nil
	}
	return pipeline.Progress{}, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
