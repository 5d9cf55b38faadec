package ecs_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestTagging(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	cl := must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("t")}))
	td := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, simpleTaskDef("tagged")))
	ci := must[*ecs.RegisterContainerInstanceOutput](t)(c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{
		Cluster: aws.String("t"), TotalResources: testResources()}))

	for _, arn := range []*string{cl.Cluster.ClusterArn, td.TaskDefinition.TaskDefinitionArn, ci.ContainerInstance.ContainerInstanceArn} {
		must[*ecs.TagResourceOutput](t)(c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: arn,
			Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}))
		must[*ecs.TagResourceOutput](t)(c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: arn,
			Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("one")}}}))
		must[*ecs.UntagResourceOutput](t)(c.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"b"}}))
		l := must[*ecs.ListTagsForResourceOutput](t)(c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: arn}))
		if len(l.Tags) != 1 || aws.ToString(l.Tags[0].Key) != "a" || aws.ToString(l.Tags[0].Value) != "one" {
			t.Fatalf("%s tags = %+v", aws.ToString(arn), l.Tags)
		}
	}
	d := must[*ecs.DescribeTaskDefinitionOutput](t)(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: td.TaskDefinition.TaskDefinitionArn, Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}}))
	if len(d.Tags) != 1 {
		t.Fatalf("describe tags = %+v", d.Tags)
	}

	_, err := c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/none"),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String("not-an-arn")})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:task-definition/tagged:99")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: cl.Cluster.ClusterArn,
		Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: cl.Cluster.ClusterArn, TagKeys: []string{"aws:x"}})
	wantErr[*types.InvalidParameterException](t, err)

	// At most 50 tags per resource, counting existing ones.
	var tags []types.Tag
	for i := range 50 {
		tags = append(tags, types.Tag{Key: aws.String("k" + string(rune('A'+i))), Value: aws.String("v")})
	}
	_, err = c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: cl.Cluster.ClusterArn, Tags: tags})
	wantErr[*types.InvalidParameterException](t, err)
	l := must[*ecs.ListTagsForResourceOutput](t)(c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: cl.Cluster.ClusterArn}))
	if len(l.Tags) != 1 {
		t.Fatalf("a refused TagResource changed tags: %d", len(l.Tags))
	}
}

func TestAccountSettings(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	p := must[*ecs.PutAccountSettingOutput](t)(c.PutAccountSetting(ctx, &ecs.PutAccountSettingInput{
		Name: types.SettingNameContainerInsights, Value: aws.String("enabled")}))
	if aws.ToString(p.Setting.PrincipalArn) != "arn:aws:iam::000000000000:root" || aws.ToString(p.Setting.Value) != "enabled" {
		t.Fatalf("put = %+v", p.Setting)
	}
	must[*ecs.PutAccountSettingDefaultOutput](t)(c.PutAccountSettingDefault(ctx, &ecs.PutAccountSettingDefaultInput{
		Name: types.SettingNameAwsvpcTrunking, Value: aws.String("enabled")}))

	l := must[*ecs.ListAccountSettingsOutput](t)(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{}))
	if len(l.Settings) != 1 || l.Settings[0].Name != types.SettingNameContainerInsights {
		t.Fatalf("explicit settings = %+v", l.Settings)
	}
	eff := must[*ecs.ListAccountSettingsOutput](t)(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{EffectiveSettings: true, MaxResults: 100}))
	got := map[types.SettingName]string{}
	for _, s := range eff.Settings {
		got[s.Name] = aws.ToString(s.Value)
	}
	if got[types.SettingNameContainerInsights] != "enabled" || got[types.SettingNameAwsvpcTrunking] != "enabled" ||
		got[types.SettingNameTaskLongArnFormat] != "enabled" || len(got) < 10 {
		t.Fatalf("effective = %v", got)
	}
	pg := must[*ecs.ListAccountSettingsOutput](t)(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{EffectiveSettings: true, MaxResults: 4}))
	if len(pg.Settings) != 4 || pg.NextToken == nil {
		t.Fatalf("page = %+v", pg)
	}
	byName := must[*ecs.ListAccountSettingsOutput](t)(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{
		EffectiveSettings: true, Name: types.SettingNameAwsvpcTrunking}))
	if len(byName.Settings) != 1 {
		t.Fatalf("by name = %+v", byName.Settings)
	}
	// New clusters take the containerInsights account default.
	must[*ecs.PutAccountSettingDefaultOutput](t)(c.PutAccountSettingDefault(ctx, &ecs.PutAccountSettingDefaultInput{
		Name: types.SettingNameContainerInsights, Value: aws.String("enhanced")}))
	cl := must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("ci")}))
	if len(cl.Cluster.Settings) != 1 || aws.ToString(cl.Cluster.Settings[0].Value) != "enhanced" {
		t.Fatalf("cluster settings = %+v", cl.Cluster.Settings)
	}

	del := must[*ecs.DeleteAccountSettingOutput](t)(c.DeleteAccountSetting(ctx, &ecs.DeleteAccountSettingInput{Name: types.SettingNameContainerInsights}))
	if aws.ToString(del.Setting.Value) != "enabled" {
		t.Fatalf("deleted = %+v", del.Setting)
	}
	l = must[*ecs.ListAccountSettingsOutput](t)(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{}))
	if len(l.Settings) != 0 {
		t.Fatalf("after delete = %+v", l.Settings)
	}
	_, err := c.DeleteAccountSetting(ctx, &ecs.DeleteAccountSettingInput{Name: types.SettingNameContainerInsights})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.PutAccountSetting(ctx, &ecs.PutAccountSettingInput{Name: types.SettingNameContainerInsights, Value: aws.String("sometimes")})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.PutAccountSetting(ctx, &ecs.PutAccountSettingInput{Name: "noSuchSetting", Value: aws.String("enabled")})
	wantErr[*types.InvalidParameterException](t, err)
}
