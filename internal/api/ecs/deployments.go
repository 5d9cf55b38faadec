package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
)

// deploymentView is a deployment with what the newer service-deployment
// API reports about it.
type deploymentView struct {
	svc    *model.Service
	dep    *model.Deployment
	state  model.DeploymentState
	status ecswire.ServiceDeploymentStatus
	reason string
	next   *model.Deployment // the deployment that followed it, if any
}

// serviceDeploymentStatus maps a deployment's progress to the statuses of
// the service-deployment API.
func serviceDeploymentStatus(svc *model.Service, d *model.Deployment, ds model.DeploymentState, next *model.Deployment, nextState model.DeploymentState) (ecswire.ServiceDeploymentStatus, string) {
	stop := svc.StoppedDeployments[d.ID]
	switch {
	case ds.RolloutState == "COMPLETED" || ds.Completed:
		return ecswire.ServiceDeploymentStatusSuccessful, "ECS deployment " + d.ID + " completed."
	case next != nil && next.RollbackOf == d.ID:
		switch {
		case nextState.Completed:
			return ecswire.ServiceDeploymentStatusRollbackSuccessful, "rolled back to the previous deployment"
		case nextState.RolloutState == "FAILED":
			return ecswire.ServiceDeploymentStatusRollbackFailed, "the rollback deployment failed"
		default:
			return ecswire.ServiceDeploymentStatusRollbackInProgress, orDefault(ds.RolloutStateReason, "rolling back")
		}
	case stop == "ABORT" && next == nil && ds.RolloutState != "FAILED":
		return ecswire.ServiceDeploymentStatusStopRequested, "stop requested"
	case stop != "":
		return ecswire.ServiceDeploymentStatusStopped, "stopped by StopServiceDeployment"
	case ds.RolloutState == "FAILED":
		return ecswire.ServiceDeploymentStatusStopped, ds.RolloutStateReason
	case next != nil:
		return ecswire.ServiceDeploymentStatusStopped, "superseded by deployment " + next.ID
	default:
		return ecswire.ServiceDeploymentStatusInProgress, "ECS deployment " + d.ID + " in progress."
	}
}

func (h *Handler) deploymentViews(svc *model.Service) []deploymentView {
	st, _ := h.st.ServiceState(svc.ClusterName, svc.Name)
	if st == nil {
		st = &model.ServiceState{}
	}
	deps := h.st.Deployments(svc.ClusterName, svc.Name)
	var out []deploymentView
	for i, d := range deps {
		v := deploymentView{svc: svc, dep: d, state: st.Deployments[d.ID]}
		var nextState model.DeploymentState
		if i+1 < len(deps) {
			v.next = deps[i+1]
			nextState = st.Deployments[v.next.ID]
		}
		v.status, v.reason = serviceDeploymentStatus(svc, d, v.state, v.next, nextState)
		out = append(out, v)
	}
	return out
}

func (h *Handler) deploymentBrief(v deploymentView) ecswire.ServiceDeploymentBrief {
	b := ecswire.ServiceDeploymentBrief{
		ServiceDeploymentArn: h.serviceDeploymentARN(v.svc, v.dep.ID), ServiceArn: v.svc.ARN, ClusterArn: v.svc.ClusterARN,
		CreatedAt: awsjson.NewTimestamp(v.dep.CreatedAt), StartedAt: awsjson.NewTimestamp(v.dep.CreatedAt),
		Status: v.status, StatusReason: v.reason, TargetServiceRevisionArn: h.serviceRevisionARN(v.svc, v.dep.ID),
	}
	if v.status != ecswire.ServiceDeploymentStatusInProgress && v.status != ecswire.ServiceDeploymentStatusRollbackInProgress {
		b.FinishedAt = awsjson.NewTimestamp(laterOf(v.state.FinishedAt, v.state.UpdatedAt))
	}
	return b
}

func (h *Handler) serviceRevisionARN(s *model.Service, id string) string {
	return strings.Replace(h.serviceDeploymentARN(s, id), ":service-deployment/", ":service-revision/", 1)
}

// ListServiceDeployments lists a service's deployments, newest first.
func (h *Handler) ListServiceDeployments(_ context.Context, in *ecswire.ListServiceDeploymentsRequest) (*ecswire.ListServiceDeploymentsResponse, error) {
	_, svc, err := h.resolveService(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	views := h.deploymentViews(svc)
	var keys []string
	byKey := map[string]deploymentView{}
	for _, v := range views {
		if len(in.Status) > 0 && !slices.Contains(in.Status, v.status) {
			continue
		}
		if in.CreatedAt != nil && (in.CreatedAt.After != nil && v.dep.CreatedAt.Before(in.CreatedAt.After.Time) ||
			in.CreatedAt.Before != nil && v.dep.CreatedAt.After(in.CreatedAt.Before.Time)) {
			continue
		}
		k := fmt.Sprintf("%010d", 1<<31-v.dep.Seq) // newest first
		keys = append(keys, k)
		byKey[k] = v
	}
	slices.Sort(keys)
	page, next, err := paginate("ListServiceDeployments", keys, in.MaxResults, in.NextToken, 20)
	if err != nil {
		return nil, err
	}
	out := &ecswire.ListServiceDeploymentsResponse{ServiceDeployments: []ecswire.ServiceDeploymentBrief{}, NextToken: next}
	for _, k := range page {
		out.ServiceDeployments = append(out.ServiceDeployments, h.deploymentBrief(byKey[k]))
	}
	return out, nil
}

// findServiceDeployment resolves a service-deployment ARN.
func (h *Handler) findServiceDeployment(ref string) (*deploymentView, error) {
	_, rest, ok := strings.Cut(ref, ":service-deployment/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 {
		return nil, invalidParameter("%s is not a service deployment ARN.", ref)
	}
	svc, found := h.st.Service(parts[0], parts[1])
	if !found {
		return nil, nil
	}
	for _, v := range h.deploymentViews(svc) {
		if v.dep.ID == "ecs-svc/"+parts[2] {
			return &v, nil
		}
	}
	return nil, nil
}

// DescribeServiceDeployments describes deployments by ARN.
func (h *Handler) DescribeServiceDeployments(_ context.Context, in *ecswire.DescribeServiceDeploymentsRequest) (*ecswire.DescribeServiceDeploymentsResponse, error) {
	if len(in.ServiceDeploymentArns) > 20 {
		return nil, invalidParameter("serviceDeploymentArns can have at most 20 items.")
	}
	out := &ecswire.DescribeServiceDeploymentsResponse{ServiceDeployments: []ecswire.ServiceDeployment{}, Failures: []ecswire.Failure{}}
	for _, ref := range in.ServiceDeploymentArns {
		v, err := h.findServiceDeployment(ref)
		if err != nil {
			return nil, err
		}
		if v == nil {
			out.Failures = append(out.Failures, ecswire.Failure{Arn: ref, Reason: "MISSING"})
			continue
		}
		b := h.deploymentBrief(*v)
		counts := h.countDeploymentTasks(v.svc)[v.dep.ID]
		sd := ecswire.ServiceDeployment{
			ServiceDeploymentArn: b.ServiceDeploymentArn, ServiceArn: b.ServiceArn, ClusterArn: b.ClusterArn,
			CreatedAt: b.CreatedAt, StartedAt: b.StartedAt, FinishedAt: b.FinishedAt, UpdatedAt: awsjson.NewTimestamp(laterOf(v.state.UpdatedAt, v.dep.CreatedAt)),
			Status: b.Status, StatusReason: b.StatusReason,
			DeploymentConfiguration: deploymentConfigToWire(v.svc.DeploymentConfiguration),
			TargetServiceRevision: &ecswire.ServiceRevisionSummary{Arn: b.TargetServiceRevisionArn,
				RequestedTaskCount: v.state.DesiredCount, RunningTaskCount: counts.running, PendingTaskCount: counts.pending},
			DeploymentCircuitBreaker: &ecswire.ServiceDeploymentCircuitBreaker{Status: ecswire.ServiceDeploymentRollbackMonitorsStatusDisabled,
				FailureCount: v.state.FailedTasks, Threshold: breakerThreshold(v.state.DesiredCount)},
		}
		if v.svc.DeploymentConfiguration.CircuitBreaker {
			sd.DeploymentCircuitBreaker.Status = ecswire.ServiceDeploymentRollbackMonitorsStatusMonitoring
			if v.state.RolloutState == "FAILED" {
				sd.DeploymentCircuitBreaker.Status = ecswire.ServiceDeploymentRollbackMonitorsStatusTriggered
			} else if v.state.Completed {
				sd.DeploymentCircuitBreaker.Status = ecswire.ServiceDeploymentRollbackMonitorsStatusMonitoringComplete
			}
		}
		if v.next != nil && v.next.RollbackOf == v.dep.ID {
			sd.Rollback = &ecswire.Rollback{Reason: v.state.RolloutStateReason, StartedAt: awsjson.NewTimestamp(v.next.CreatedAt),
				ServiceRevisionArn: h.serviceRevisionARN(v.svc, v.next.ID)}
		}
		out.ServiceDeployments = append(out.ServiceDeployments, sd)
	}
	return out, nil
}

// breakerThreshold is ECS's circuit breaker threshold.
func breakerThreshold(desired int32) int32 {
	return min(max((desired+1)/2, 3), 200)
}

// StopServiceDeployment stops an in-progress deployment: ROLLBACK (the
// default) starts a deployment with the last completed configuration;
// ABORT stops launching tasks for it and leaves the service as it is.
func (h *Handler) StopServiceDeployment(ctx context.Context, in *ecswire.StopServiceDeploymentRequest) (*ecswire.StopServiceDeploymentResponse, error) {
	v, err := h.findServiceDeployment(in.ServiceDeploymentArn)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, api.Errorf(ecswire.ErrServiceDeploymentNotFoundException, "The service deployment %s does not exist.", in.ServiceDeploymentArn)
	}
	if v.status != ecswire.ServiceDeploymentStatusInProgress {
		return nil, api.Errorf(ecswire.ErrConflictException, "The service deployment is %s and cannot be stopped.", v.status)
	}
	stopType := string(in.StopType)
	if stopType == "" {
		stopType = string(ecswire.StopServiceDeploymentStopTypeRollback)
	}
	if stopType == string(ecswire.StopServiceDeploymentStopTypeRollback) {
		target := h.lastCompletedDeployment(v.svc, v.dep.ID)
		if target == nil {
			return nil, invalidParameter("The service has no completed deployment to roll back to.")
		}
		rb := model.Deployment{ID: model.NewDeploymentID(), ServiceName: v.svc.Name, TaskDefinitionARN: target.TaskDefinitionARN,
			LaunchType: target.LaunchType, PlatformVersion: target.PlatformVersion, NetworkConfiguration: target.NetworkConfiguration,
			LoadBalancers: target.LoadBalancers, CreatedAt: h.st.Now(), RollbackOf: v.dep.ID}
		if _, err := h.st.AddDeployment(ctx, v.svc.ClusterName, v.svc.Name, rb); err != nil {
			return nil, mapStateError(err)
		}
	}
	_, err = h.st.UpdateService(ctx, v.svc.ClusterName, v.svc.Name, func(s *model.Service) error {
		if s.StoppedDeployments == nil {
			s.StoppedDeployments = map[string]string{}
		}
		s.StoppedDeployments[v.dep.ID] = stopType
		return nil
	})
	if err != nil {
		return nil, mapStateError(err)
	}
	return &ecswire.StopServiceDeploymentResponse{ServiceDeploymentArn: in.ServiceDeploymentArn}, nil
}

// lastCompletedDeployment is the newest completed deployment before id.
func (h *Handler) lastCompletedDeployment(svc *model.Service, id string) *model.Deployment {
	st, _ := h.st.ServiceState(svc.ClusterName, svc.Name)
	if st == nil {
		return nil
	}
	var best *model.Deployment
	for _, d := range h.st.Deployments(svc.ClusterName, svc.Name) {
		if d.ID == id {
			break
		}
		if st.Deployments[d.ID].Completed {
			best = d
		}
	}
	return best
}
