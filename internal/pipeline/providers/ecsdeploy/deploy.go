package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/artifacts"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
)

// Deployment timeout bounds (DeploymentTimeout, minutes).
const (
	DefaultTimeout = 60 * time.Minute
	minTimeout     = 1
	maxTimeout     = 60
)

// API is the part of the ECS client the action uses.
type API interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// Provider runs ECS (rolling update) deploy actions.
type Provider struct {
	api       API
	artifacts *artifacts.Store
	// Now is the clock deadlines are measured with (default time.Now).
	Now func() time.Time
}

var _ pipeline.Provider = (*Provider)(nil)

// New returns the ECS deploy provider calling api (a client of the
// server's own ECS endpoint) and reading input artifacts from store.
func New(api API, store *artifacts.Store) *Provider {
	return &Provider{api: api, artifacts: store, Now: time.Now}
}

// config is the action's configuration, checked.
type config struct {
	cluster, service, fileName string
	timeout                    time.Duration
}

func parseConfig(c map[string]string) (config, error) {
	cfg := config{cluster: c["ClusterName"], service: c["ServiceName"], fileName: c["FileName"], timeout: DefaultTimeout}
	if cfg.cluster == "" {
		return cfg, errors.New("the action configuration has no ClusterName")
	}
	if cfg.service == "" {
		return cfg, errors.New("the action configuration has no ServiceName")
	}
	if cfg.fileName == "" {
		cfg.fileName = DefaultFileName
	}
	if v := c["DeploymentTimeout"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minTimeout || n > maxTimeout {
			return cfg, fmt.Errorf("DeploymentTimeout %q is not a whole number of minutes from %d to %d", v, minTimeout, maxTimeout)
		}
		cfg.timeout = time.Duration(n) * time.Minute
	}
	return cfg, nil
}

// Start registers a revision of the service's current task definition with
// the images of the input artifact's image definitions file and updates
// the service to it. The deployment this starts is the action's external
// id. A Start repeated for the same run does not deploy again.
func (p *Provider) Start(ctx context.Context, job pipeline.Job) (pipeline.Progress, error) {
	if job.Run.ExternalID != "" {
		return inProgress(job.Run.ExternalID, ""), nil
	}
	cfg, err := parseConfig(job.Config)
	if err != nil {
		return failed(pipeline.ErrConfigurationError, err.Error()), nil
	}
	if len(job.Inputs) != 1 {
		return failed(pipeline.ErrConfigurationError,
			fmt.Sprintf("an ECS deploy action needs exactly one input artifact, it has %d", len(job.Inputs))), nil
	}
	images, err := readImageDefinitions(p.artifacts, job.Inputs[0].Key, cfg.fileName)
	if err != nil {
		return failed(pipeline.ErrJobFailed, err.Error()), nil
	}

	svc, prog, err := p.service(ctx, job, cfg)
	if svc == nil {
		return prog, err
	}
	if c := svc.DeploymentController; c != nil && c.Type != "" && c.Type != types.DeploymentControllerTypeEcs {
		return failed(pipeline.ErrJobFailed, fmt.Sprintf("service %s uses the %s deployment controller; the ECS deploy action needs the ECS (rolling update) controller",
			cfg.service, c.Type)), nil
	}
	current := aws.ToString(svc.TaskDefinition)
	td, err := p.api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(current), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil {
		return p.apiFailure(job, cfg, "DescribeTaskDefinition "+shortTaskDef(current), err)
	}
	if hasMarker(td.Tags, job.Run.ID) {
		// An earlier Start of this run got as far as UpdateService.
		if d := primary(svc); d != nil && aws.ToString(d.TaskDefinition) == current {
			return inProgress(aws.ToString(d.Id), deployingSummary(current, cfg)), nil
		}
	}
	in, err := newRevision(td.TaskDefinition, td.Tags, images, cfg.fileName, job.Run.ID)
	if err != nil {
		return failed(pipeline.ErrJobFailed, err.Error()), nil
	}
	reg, err := p.api.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return p.apiFailure(job, cfg, "RegisterTaskDefinition "+aws.ToString(in.Family), err)
	}
	next := aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	up, err := p.api.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(cfg.cluster), Service: aws.String(cfg.service), TaskDefinition: aws.String(next)})
	if err != nil {
		return p.apiFailure(job, cfg, "UpdateService "+cfg.service, err)
	}
	d := primary(up.Service)
	if d == nil || aws.ToString(d.TaskDefinition) != next {
		return failed(pipeline.ErrJobFailed, fmt.Sprintf("UpdateService did not start a deployment of %s on service %s", shortTaskDef(next), cfg.service)), nil
	}
	return inProgress(aws.ToString(d.Id), deployingSummary(next, cfg)), nil
}

// Poll follows the deployment Start began. It succeeds when the deployment
// completes and fails as soon as it failed, was rolled back or was
// replaced by another deployment, or when DeploymentTimeout has passed.
func (p *Provider) Poll(ctx context.Context, job pipeline.Job) (pipeline.Progress, error) {
	id := job.Run.ExternalID
	if id == "" {
		return p.Start(ctx, job)
	}
	cfg, err := parseConfig(job.Config)
	if err != nil {
		return failed(pipeline.ErrConfigurationError, err.Error()), nil
	}
	svc, prog, err := p.service(ctx, job, cfg)
	if svc == nil {
		return prog, err
	}
	var mine *types.Deployment
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Id) == id {
			mine = &svc.Deployments[i]
		}
	}
	top := primary(svc)
	switch {
	case mine != nil && mine.RolloutState == types.DeploymentRolloutStateCompleted:
		prog := pipeline.Progress{Done: true, Status: model.ActionSucceeded, ExternalID: id,
			Summary: fmt.Sprintf("Deployment %s completed: %d tasks of %s running", id, mine.RunningCount, shortTaskDef(aws.ToString(mine.TaskDefinition)))}
		return prog, nil
	case mine != nil && mine.RolloutState == types.DeploymentRolloutStateFailed:
		reason := orDefault(aws.ToString(mine.RolloutStateReason), "no reason given")
		if mine != top {
			return failed(pipeline.ErrJobFailed, "the deployment was rolled back: "+reason), nil
		}
		return failed(pipeline.ErrJobFailed, fmt.Sprintf("Deployment %s failed: %s", id, reason)), nil
	case mine == nil || mine != top:
		// Another deployment (a circuit-breaker rollback, or someone
		// else's update) took over before this one completed.
		now := "no deployment"
		if top != nil {
			now = fmt.Sprintf("deployment %s of %s", aws.ToString(top.Id), shortTaskDef(aws.ToString(top.TaskDefinition)))
		}
		return failed(pipeline.ErrJobFailed, fmt.Sprintf("the deployment was rolled back: deployment %s was replaced by %s before it completed", id, now)), nil
	}
	if p.pastDeadline(job, cfg) {
		return failed(pipeline.ErrTimeout, fmt.Sprintf("Deployment %s did not complete within %d minutes: %d of %d tasks of %s running",
			id, int(cfg.timeout.Minutes()), mine.RunningCount, mine.DesiredCount, shortTaskDef(aws.ToString(mine.TaskDefinition)))), nil
	}
	return inProgress(id, fmt.Sprintf("Deployment %s in progress: %d of %d tasks of %s running",
		id, mine.RunningCount, mine.DesiredCount, shortTaskDef(aws.ToString(mine.TaskDefinition)))), nil
}

// service describes the action's service. It returns nil and what to
// report when the service is missing or not ACTIVE, or the call failed.
func (p *Provider) service(ctx context.Context, job pipeline.Job, cfg config) (*types.Service, pipeline.Progress, error) {
	out, err := p.api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cfg.cluster), Services: []string{cfg.service}})
	if err != nil {
		prog, err := p.apiFailure(job, cfg, "DescribeServices", err)
		return nil, prog, err
	}
	if len(out.Services) == 0 {
		return nil, failed(pipeline.ErrJobFailed, fmt.Sprintf("service %s not found in cluster %s", cfg.service, cfg.cluster)), nil
	}
	svc := &out.Services[0]
	if st := aws.ToString(svc.Status); st != "ACTIVE" {
		return nil, failed(pipeline.ErrJobFailed, fmt.Sprintf("service %s in cluster %s is %s", cfg.service, cfg.cluster, st)), nil
	}
	return svc, pipeline.Progress{}, nil
}

// apiFailure decides what an ECS error means for the action. An error the
// request caused (a missing cluster, an invalid task definition) fails
// the action with ECS's message; anything else (the server unreachable,
// a server fault) is returned for the engine to retry, until the
// deployment timeout has passed since the action started.
func (p *Provider) apiFailure(job pipeline.Job, cfg config, what string, err error) (pipeline.Progress, error) {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient {
		return failed(pipeline.ErrJobFailed, fmt.Sprintf("%s: %s: %s", what, ae.ErrorCode(), ae.ErrorMessage())), nil
	}
	if p.pastDeadline(job, cfg) {
		return failed(pipeline.ErrTimeout, fmt.Sprintf("%s still failing after %d minutes: %v", what, int(cfg.timeout.Minutes()), err)), nil
	}
	return pipeline.Progress{}, fmt.Errorf("%s: %w", what, err)
}

func (p *Provider) pastDeadline(job pipeline.Job, cfg config) bool {
	if job.Run.Start.IsZero() {
		return false
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	return !now().Before(job.Run.Start.Add(cfg.timeout))
}

// primary returns the service's PRIMARY deployment.
func primary(svc *types.Service) *types.Deployment {
	if svc == nil {
		return nil
	}
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Status) == "PRIMARY" {
			return &svc.Deployments[i]
		}
	}
	return nil
}

func deployingSummary(taskDefARN string, cfg config) string {
	return fmt.Sprintf("Deploying task definition %s to service %s in cluster %s", shortTaskDef(taskDefARN), cfg.service, cfg.cluster)
}

func inProgress(id, summary string) pipeline.Progress {
	return pipeline.Progress{Status: model.ActionInProgress, ExternalID: id, Summary: summary}
}

func failed(code, message string) pipeline.Progress {
	return pipeline.Progress{Done: true, Status: model.ActionFailed, ErrorCode: code, ErrorMessage: message}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
