// Package state is wharf's typed view of the cluster state: repositories for
// clusters, task definitions, container instances and account settings on
// top of internal/store.
//
// Writes go to etcd with compare-and-swap and then wait until the watch-fed
// cache has caught up, so a caller that wrote something reads it back.
// Reads are served from the cache. Errors are the sentinels below, wrapped;
// only the API edge turns them into AWS exceptions.
//
// Key layout (relative to the store prefix):
//
//	clusters/<name>                       model.Cluster
//	families/<family>                     revision counter of a family (never deleted)
//	taskdefs/<family>/<revision:010d>     model.TaskDefinition
//	instances/<cluster>/<id>              model.ContainerInstance
//	buildprojects/<name>                  model.BuildProject
//	builds/<project>/<uuid>               model.Build (the server's decision)
//	buildstates/<project>/<uuid>          model.BuildState (the agent's report)
//	pipelines/<name>                      model.Pipeline (current version)
//	pipelineversions/<name>/<v:010d>      model.Pipeline (every version)
//	pipelineexecs/<pipeline>/<id>         model.PipelineExecution
//	settings/<principal|_default>/<name>  model.AccountSetting
package state
