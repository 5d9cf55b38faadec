package ecsdeploy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// MarkerTag is the tag the action puts on every task definition revision
// it registers, valued with the action execution's id. A Start repeated
// after a crash between UpdateService and recording the deployment id
// finds its own revision in use by the service and adopts that deployment
// instead of deploying a second time.
const MarkerTag = "wharf:pipelineActionExecutionId"

// maxTags is ECS's limit of tags per resource.
const maxTags = 50

// newRevision builds the registration of a new revision of td: every
// field RegisterTaskDefinition accepts is copied, the image of each
// container named in images is replaced, and the tags are td's (without
// reserved aws: keys) with MarkerTag set to runID. fileName only words the
// error for a container the definition does not have.
func newRevision(td *types.TaskDefinition, tags []types.Tag, images []ImageDefinition, fileName, runID string) (*ecs.RegisterTaskDefinitionInput, error) {
	containers := slices.Clone(td.ContainerDefinitions)
	for _, img := range images {
		i := slices.IndexFunc(containers, func(c types.ContainerDefinition) bool { return aws.ToString(c.Name) == img.Name })
		if i < 0 {
			var names []string
			for _, c := range containers {
				names = append(names, aws.ToString(c.Name))
			}
			return nil, fmt.Errorf("container %s in %s is not in the task definition %s (its containers: %s)",
				img.Name, fileName, shortTaskDef(aws.ToString(td.TaskDefinitionArn)), strings.Join(names, ", "))
		}
		containers[i].Image = aws.String(img.ImageURI)
	}
	in := &ecs.RegisterTaskDefinitionInput{
		Family:                        td.Family,
		ContainerDefinitions:          containers,
		Cpu:                           td.Cpu,
		Memory:                        td.Memory,
		NetworkMode:                   td.NetworkMode,
		RequiresCompatibilities:       td.RequiresCompatibilities,
		ExecutionRoleArn:              td.ExecutionRoleArn,
		TaskRoleArn:                   td.TaskRoleArn,
		Volumes:                       td.Volumes,
		PlacementConstraints:          td.PlacementConstraints,
		PidMode:                       td.PidMode,
		IpcMode:                       td.IpcMode,
		ProxyConfiguration:            td.ProxyConfiguration,
		InferenceAccelerators:         td.InferenceAccelerators,
		EphemeralStorage:              td.EphemeralStorage,
		RuntimePlatform:               td.RuntimePlatform,
		EnableFaultInjection:          td.EnableFaultInjection,
		TrustedExecutionConfiguration: td.TrustedExecutionConfiguration,
	}
	for _, t := range tags {
		k := aws.ToString(t.Key)
		if k == MarkerTag || strings.HasPrefix(strings.ToLower(k), "aws:") {
			continue
		}
		in.Tags = append(in.Tags, t)
	}
	if runID != "" && len(in.Tags) < maxTags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(MarkerTag), Value: aws.String(runID)})
	}
	return in, nil
}

// hasMarker reports whether tags carry MarkerTag with runID.
func hasMarker(tags []types.Tag, runID string) bool {
	return runID != "" && slices.ContainsFunc(tags, func(t types.Tag) bool {
		return aws.ToString(t.Key) == MarkerTag && aws.ToString(t.Value) == runID
	})
}

// shortTaskDef turns a task definition ARN into FAMILY:REVISION.
func shortTaskDef(arn string) string {
	if _, rest, ok := strings.Cut(arn, ":task-definition/"); ok {
		return rest
	}
	return arn
}
