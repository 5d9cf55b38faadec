// Package declare converts and checks CodePipeline pipeline declarations.
//
// FromWire turns a cpwire.PipelineDeclaration (CreatePipeline and
// UpdatePipeline requests) into a model.Pipeline with AWS's defaults
// filled in (pipelineType V1, executionMode SUPERSEDED, runOrder 1, a
// manual approval's timeoutInMinutes 10080) and checks it with Validate;
// ToWire is the way back for GetPipeline. Validate holds the structure
// rules of a pipeline (ref: pipeline.md 3.1–3.4): names and patterns,
// stage and action counts, where source actions may sit, artifact flow,
// namespaces and #{...} variable references, V2-only features, triggers,
// and the configuration and artifact counts of every action provider wharf
// runs. Its errors are *Error values carrying the CodePipeline exception a
// client expects (InvalidStructureException, ...) and the path of the
// offending member.
//
// References and Resolve parse and substitute #{namespace.name} variable
// references; the pipeline engine resolves an action's configuration with
// them just before the action starts.
//
// Everything here is a pure function of its arguments.
package declare
