package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/spf13/cobra"
)

func newPipelineCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "pipeline",
		Aliases: []string{"pipelines"},
		Short:   "Create, run, watch and approve CodePipeline pipelines",
		Long: `Work with the server's CodePipeline pipelines: create them from a short YAML
form or from AWS pipeline JSON, start and watch executions, answer manual
approvals and list past executions. See docs/pipelines.md.`,
		Example: `  wharf pipeline create -f pipeline.yaml
  wharf pipeline run hello --watch
  wharf pipeline watch hello
  wharf pipeline approve hello --stage Approve --action Approve
  wharf pipeline history hello`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newPipelineWriteCmd("create"), newPipelineWriteCmd("update"), newPipelineWriteCmd("apply"),
		newPipelineListCmd(), newPipelineGetCmd(), newPipelineRunCmd(), newPipelineWatchCmd(),
		newPipelineApproveCmd(), newPipelineStopCmd(), newPipelineHistoryCmd())
	return cmd
}

func codepipelineClient(endpoint string) *codepipeline.Client {
	return codepipeline.NewFromConfig(cliAWSConfig(), func(o *codepipeline.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

const pipelineFileHelp = `
FILE ("-" for stdin) is one of
  - the JSON "aws codepipeline create-pipeline --cli-input-json" takes:
    {"pipeline": {...}, "tags": [...]}, or the bare pipeline declaration;
    "aws codepipeline get-pipeline" output is accepted (metadata is dropped);
  - the same in YAML (a top-level "pipeline:" key);
  - wharf's short YAML form:

      name: hello
      source:   {repository: hello, branch: main}
      build:    {project: hello, env: {IMAGE_TAG: "#{SourceVariables.CommitId}"}}
      approval: {message: "Deploy #{SourceVariables.CommitId}?"}
      deploy:   {cluster: default, service: hello}

    expanded into a V2 pipeline with a trigger on pushes to the branch
    (docs/pipelines.md has every key; --dry-run prints the expansion).

Unknown keys and members are errors. Exit status: 0 done, 1 API error
(the server refused the pipeline), 2 usage error or invalid file (nothing
was changed).`

// newPipelineWriteCmd is create, update or apply.
func newPipelineWriteCmd(verb string) *cobra.Command {
	var file, endpoint string
	var dryRun bool
	short := map[string]string{
		"create": "Create a pipeline from a file (CreatePipeline)",
		"update": "Replace a pipeline's declaration with a file's (UpdatePipeline)",
		"apply":  "Create a pipeline from a file, or update it if it exists",
	}[verb]
	cmd := &cobra.Command{
		Use:   verb + " -f FILE",
		Short: short,
		Long:  short + ".\n" + pipelineFileHelp,
		Example: fmt.Sprintf(`  wharf pipeline %s -f examples/hello/pipeline.yaml
  wharf pipeline %s -f pipeline.json
  wharf pipeline %s -f pipeline.yaml --dry-run   # print the AWS JSON, change nothing`, verb, verb, verb),
		Args: cobra.ArbitraryArgs,
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected argument %q (the file goes after -f)", args[0])
			}
			if file == "" {
				return usageErrorf("-f FILE is required")
			}
			in, err := readPipelineFile(cmd.InOrStdin(), file)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if dryRun {
				return writeJSON(w, in.doc())
			}
			return writePipeline(cmd, codepipelineClient(endpoint), verb, in)
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	cmd.Flags().StringVarP(&file, "file", "f", "", `pipeline file: AWS JSON or YAML, or the short YAML form ("-" for stdin)`)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the pipeline as create-pipeline --cli-input-json takes it, and change nothing")
	addEndpointFlag(cmd, &endpoint)
	return cmd
}

func readPipelineFile(stdin io.Reader, file string) (pipelineInput, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return pipelineInput{}, usageErrorf("-f: %w", err)
	}
	in, err := parsePipelineFile(data)
	if err != nil {
		return pipelineInput{}, usageErrorf("%s: %w", file, err)
	}
	return in, nil
}

func writePipeline(cmd *cobra.Command, cp *codepipeline.Client, verb string, in pipelineInput) error {
	ctx := cmd.Context()
	name := aws.ToString(in.Pipeline.Name)
	if verb == "apply" {
		_, err := cp.GetPipeline(ctx, &codepipeline.GetPipelineInput{Name: aws.String(name)})
		var nf *cptypes.PipelineNotFoundException
		switch {
		case errors.As(err, &nf):
			verb = "create"
		case err != nil:
			return friendlyError("GetPipeline", err)
		default:
			verb = "update"
		}
	}
	w := cmd.OutOrStdout()
	var decl *cptypes.PipelineDeclaration
	if verb == "create" {
		out, err := cp.CreatePipeline(ctx, &codepipeline.CreatePipelineInput{Pipeline: &in.Pipeline, Tags: in.Tags})
		if err != nil {
			return friendlyError("CreatePipeline", err)
		}
		decl = out.Pipeline
		fmt.Fprintf(w, "Created pipeline %s (version %d): %s\n", name, aws.ToInt32(decl.Version), stageChain(decl))
	} else {
		out, err := cp.UpdatePipeline(ctx, &codepipeline.UpdatePipelineInput{Pipeline: &in.Pipeline})
		if err != nil {
			return friendlyError("UpdatePipeline", err)
		}
		decl = out.Pipeline
		fmt.Fprintf(w, "Updated pipeline %s to version %d: %s\n", name, aws.ToInt32(decl.Version), stageChain(decl))
		if len(in.Tags) > 0 {
			fmt.Fprintln(w, "note: tags are set when a pipeline is created; UpdatePipeline does not change them")
		}
	}
	if decl == nil {
		decl = &in.Pipeline
	}
	for _, t := range triggerSummaries(decl) {
		fmt.Fprintln(w, "Starts on "+t)
	}
	fmt.Fprintf(w, "Run it now: wharf pipeline run %s --watch\n", name)
	return nil
}

// stageChain is "Source → Build → Deploy".
func stageChain(decl *cptypes.PipelineDeclaration) string {
	var names []string
	for _, st := range decl.Stages {
		names = append(names, aws.ToString(st.Name))
	}
	return strings.Join(names, " → ")
}

// triggerSummaries describes the push triggers: "pushes to main of
// repository hello (action Source)".
func triggerSummaries(decl *cptypes.PipelineDeclaration) []string {
	repos := map[string]string{}
	for _, st := range decl.Stages {
		for _, a := range st.Actions {
			if r := a.Configuration["RepositoryName"]; r != "" {
				repos[aws.ToString(a.Name)] = r
			}
		}
	}
	var out []string
	for _, t := range decl.Triggers {
		gc := t.GitConfiguration
		if gc == nil {
			continue
		}
		src := aws.ToString(gc.SourceActionName)
		for _, push := range gc.Push {
			what := "pushes"
			if push.Branches != nil && len(push.Branches.Includes) > 0 {
				what += " to " + strings.Join(push.Branches.Includes, ", ")
			}
			if push.Tags != nil && len(push.Tags.Includes) > 0 {
				what += " of tags " + strings.Join(push.Tags.Includes, ", ")
			}
			if r := repos[src]; r != "" {
				what += " of repository " + r
			}
			out = append(out, what+" (source action "+src+")")
		}
	}
	return out
}

// outputFormat "yaml", for get.
const outputYAML outputFormat = "yaml"

func parsePipelineOutput(s string, allowYAML bool) (outputFormat, error) {
	if f := outputFormat(strings.ToLower(s)); allowYAML && f == outputYAML {
		return f, nil
	}
	f, err := parseOutputFormat(s)
	if err != nil && allowYAML {
		return "", usageErrorf("-o/--output must be table, json or yaml, not %q", s)
	}
	return f, err
}

func newPipelineListCmd() *cobra.Command {
	var output, endpoint string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List pipelines with their latest execution",
		Long: `List the pipelines (ListPipelines), sorted by name: NAME, VERSION, TYPE,
MODE (execution mode), LATEST (the status of the newest execution, how long
ago it started) and UPDATED.

-o json prints {"pipelines": [...]} as "aws codepipeline list-pipelines" does.
` + listExitCodes,
		Args: cobra.NoArgs,
		RunE: withExitCodes(func(cmd *cobra.Command, _ []string) error {
			format, err := parseOutputFormat(output)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			cp := codepipelineClient(endpoint)
			var all []cptypes.PipelineSummary
			pages := codepipeline.NewListPipelinesPaginator(cp, &codepipeline.ListPipelinesInput{})
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					return friendlyError("ListPipelines", err)
				}
				all = append(all, page.Pipelines...)
			}
			slices.SortFunc(all, func(a, b cptypes.PipelineSummary) int {
				return strings.Compare(aws.ToString(a.Name), aws.ToString(b.Name))
			})
			if format == outputJSON {
				m := &docMap{}
				m.set("pipelines", cmpSlice(awsDoc(all)))
				return writeJSON(cmd.OutOrStdout(), m)
			}
			latest := map[string]cptypes.PipelineExecutionSummary{}
			for _, p := range all {
				out, err := cp.ListPipelineExecutions(ctx, &codepipeline.ListPipelineExecutionsInput{PipelineName: p.Name, MaxResults: aws.Int32(1)})
				if err == nil && len(out.PipelineExecutionSummaries) > 0 {
					latest[aws.ToString(p.Name)] = out.PipelineExecutionSummaries[0]
				}
			}
			return writePipelinesTable(cmd.OutOrStdout(), all, latest, time.Now())
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	addEndpointFlag(cmd, &endpoint)
	return cmd
}

// cmpSlice makes a nil list an empty one, as the CLI prints it.
func cmpSlice(v any) any {
	if v == nil {
		return []any{}
	}
	return v
}

func writePipelinesTable(w io.Writer, all []cptypes.PipelineSummary, latest map[string]cptypes.PipelineExecutionSummary, now time.Time) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tVERSION\tTYPE\tMODE\tLATEST\tUPDATED")
	for _, p := range all {
		last := "-"
		if s, ok := latest[aws.ToString(p.Name)]; ok {
			last = string(s.Status)
			if s.StartTime != nil {
				last += " " + ago(now.Sub(*s.StartTime))
			}
		}
		updated := "-"
		if p.Updated != nil {
			updated = ago(now.Sub(*p.Updated))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", aws.ToString(p.Name), aws.ToInt32(p.Version), orDash(string(p.PipelineType)),
			orDash(string(p.ExecutionMode)), last, updated)
	}
	return tw.Flush()
}

func newPipelineGetCmd() *cobra.Command {
	var output, endpoint string
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a pipeline's declaration",
		Long: `Show a pipeline (GetPipeline): by default its stages and actions as a table;
-o json prints {"pipeline": ..., "metadata": ...} as "aws codepipeline
get-pipeline" does, -o yaml the same in YAML. Both are accepted back by
"wharf pipeline update -f" (the metadata is dropped).
` + listExitCodes,
		Example: `  wharf pipeline get hello
  wharf pipeline get hello -o yaml > pipeline.yaml && wharf pipeline update -f pipeline.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			format, err := parsePipelineOutput(output, true)
			if err != nil {
				return err
			}
			out, err := codepipelineClient(endpoint).GetPipeline(cmd.Context(), &codepipeline.GetPipelineInput{Name: aws.String(args[0])})
			if err != nil {
				return friendlyError("GetPipeline", err)
			}
			w := cmd.OutOrStdout()
			m := &docMap{}
			m.set("pipeline", awsDoc(out.Pipeline))
			if out.Metadata != nil {
				m.set("metadata", awsDoc(out.Metadata))
			}
			switch format {
			case outputJSON:
				return writeJSON(w, m)
			case outputYAML:
				return writeYAML(w, m)
			}
			return writePipelineTable(w, out.Pipeline)
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json or yaml")
	addEndpointFlag(cmd, &endpoint)
	return cmd
}

func writePipelineTable(w io.Writer, p *cptypes.PipelineDeclaration) error {
	if p == nil {
		return errors.New("GetPipeline returned no pipeline")
	}
	fmt.Fprintf(w, "Pipeline %s · version %d · %s · %s\n", aws.ToString(p.Name), aws.ToInt32(p.Version), orDash(string(p.PipelineType)), orDash(string(p.ExecutionMode)))
	for _, t := range triggerSummaries(p) {
		fmt.Fprintln(w, "Starts on "+t)
	}
	for _, v := range p.Variables {
		fmt.Fprintf(w, "Variable %s (default %q)\n", aws.ToString(v.Name), aws.ToString(v.DefaultValue))
	}
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "STAGE\tACTION\tPROVIDER\tIN\tOUT\tCONFIGURATION")
	for _, st := range p.Stages {
		for _, a := range st.Actions {
			provider := "-"
			if t := a.ActionTypeId; t != nil {
				provider = string(t.Category) + "/" + aws.ToString(t.Provider)
			}
			var in, out []string
			for _, ia := range a.InputArtifacts {
				in = append(in, aws.ToString(ia.Name))
			}
			for _, oa := range a.OutputArtifacts {
				out = append(out, aws.ToString(oa.Name))
			}
			var cfg []string
			for _, k := range slices.Sorted(maps.Keys(a.Configuration)) {
				cfg = append(cfg, k+"="+truncate(a.Configuration[k], 60))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", aws.ToString(st.Name), aws.ToString(a.Name), provider,
				orDash(strings.Join(in, ",")), orDash(strings.Join(out, ",")), orDash(strings.Join(cfg, " ")))
		}
	}
	return tw.Flush()
}

func newPipelineRunCmd() *cobra.Command {
	var fl watchFlags
	var vars, revisions []string
	var watch bool
	var follow string
	cmd := &cobra.Command{
		Use:   "run NAME",
		Short: "Start a pipeline execution and optionally watch it to the end",
		Long: `Start an execution of a pipeline (StartPipelineExecution) and print its id.

--var NAME=VALUE overrides a pipeline variable (#{variables.NAME});
--source-revision ACTION=COMMIT pins a source action to a commit instead of
its branch head. With --watch, the execution's actions are shown as they
run until it ends (see Progress below). --follow EXECUTION_ID watches an
execution that is already running instead of starting one (as "wharf
pipeline watch" does).
` + pipelineWatchHelp + "\n" + pipelineWatchExitCodes,
		Example: `  wharf pipeline run hello --watch
  wharf pipeline run hello --var DEPLOY_TIMEOUT=30 --source-revision Source=3f2c1ab --watch
  wharf pipeline run hello --follow 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`,
		Args: cobra.ExactArgs(1),
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			if err := fl.check(); err != nil {
				return err
			}
			name := args[0]
			in := &codepipeline.StartPipelineExecutionInput{Name: aws.String(name)}
			for _, kv := range vars {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usageErrorf("--var %q: want NAME=VALUE", kv)
				}
				in.Variables = append(in.Variables, cptypes.PipelineVariable{Name: aws.String(k), Value: aws.String(v)})
			}
			for _, kv := range revisions {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" || v == "" {
					return usageErrorf("--source-revision %q: want ACTION=COMMIT", kv)
				}
				in.SourceRevisions = append(in.SourceRevisions, cptypes.SourceRevisionOverride{ActionName: aws.String(k),
					RevisionType: cptypes.SourceRevisionTypeCommitId, RevisionValue: aws.String(v)})
			}
			if follow != "" && (len(vars) > 0 || len(revisions) > 0) {
				return usageErrorf("--follow watches a running execution: it takes no --var or --source-revision")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cp := codepipelineClient(fl.endpoint)
			id := follow
			if id == "" {
				out, err := cp.StartPipelineExecution(ctx, in)
				if err != nil {
					return friendlyError("StartPipelineExecution", err)
				}
				id = aws.ToString(out.PipelineExecutionId)
				fmt.Fprintf(cmd.OutOrStdout(), "Started execution %s of pipeline %s\n", id, name)
				if !watch {
					fmt.Fprintf(cmd.OutOrStdout(), "Watch it: wharf pipeline watch %s %s\n", name, id)
					return nil
				}
			}
			return newPipelineWatch(cmd, cp, name, id, &fl).run(ctx)
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	f := cmd.Flags()
	f.StringArrayVar(&vars, "var", nil, "NAME=VALUE pipeline variable (repeatable)")
	f.StringArrayVar(&revisions, "source-revision", nil, "ACTION=COMMIT: run a source action on this commit (repeatable)")
	f.BoolVarP(&watch, "watch", "w", false, "show the execution's progress until it ends")
	f.StringVar(&follow, "follow", "", "watch this running execution instead of starting one")
	addWatchFlags(cmd, &fl)
	return cmd
}

func newPipelineWatchCmd() *cobra.Command {
	var fl watchFlags
	cmd := &cobra.Command{
		Use:   "watch NAME [EXECUTION_ID]",
		Short: "Watch a pipeline execution (the latest by default) until it ends",
		Long: `Watch an execution of a pipeline until it ends: EXECUTION_ID, or the newest
execution (ListPipelineExecutions) when it is omitted. An execution that has
already ended is shown as it ended, and the exit status tells how.
` + pipelineWatchHelp + "\n" + pipelineWatchExitCodes,
		Example: `  wharf pipeline watch hello
  wharf pipeline watch hello 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 --progress plain`,
		Args: cobra.RangeArgs(1, 2),
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			if err := fl.check(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cp := codepipelineClient(fl.endpoint)
			id := ""
			if len(args) == 2 {
				id = args[1]
			} else {
				var err error
				if id, err = latestExecution(ctx, cp, args[0]); err != nil {
					return err
				}
			}
			return newPipelineWatch(cmd, cp, args[0], id, &fl).run(ctx)
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	addWatchFlags(cmd, &fl)
	return cmd
}

func newPipelineApproveCmd() *cobra.Command {
	var stage, action, token, summary, endpoint string
	var reject bool
	cmd := &cobra.Command{
		Use:   "approve NAME [--stage S --action A] [--token T] [--reject] [--summary TEXT]",
		Short: "Approve (or --reject) a manual approval waiting in a pipeline",
		Long: `Answer a Manual approval action (PutApprovalResult). The token defaults to the
one GetPipelineState shows for the action; --stage and --action may be left
out when exactly one approval is waiting. Rejecting fails the action, and
with it the execution.

Exit status: 0 answered, 1 API error (no approval waiting, token expired or
already used, …), 2 usage error.`,
		Example: `  wharf pipeline approve hello
  wharf pipeline approve hello --stage Approve --action Approve --token 2f0a… --summary "looks good"
  wharf pipeline approve hello --reject --summary "not today"`,
		Args: cobra.ExactArgs(1),
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			name := args[0]
			ctx := cmd.Context()
			cp := codepipelineClient(endpoint)
			st, err := cp.GetPipelineState(ctx, &codepipeline.GetPipelineStateInput{Name: aws.String(name)})
			if err != nil {
				return friendlyError("GetPipelineState", err)
			}
			target, err := findApproval(st.StageStates, stage, action, token != "")
			if err != nil {
				return err
			}
			if token == "" {
				token = target.token
			}
			status, verb := cptypes.ApprovalStatusApproved, "Approved"
			if reject {
				status, verb = cptypes.ApprovalStatusRejected, "Rejected"
			}
			if summary == "" {
				summary = verb + " with wharf pipeline approve"
			}
			out, err := cp.PutApprovalResult(ctx, &codepipeline.PutApprovalResultInput{
				PipelineName: aws.String(name), StageName: aws.String(target.stage), ActionName: aws.String(target.action),
				Token: aws.String(token), Result: &cptypes.ApprovalResult{Status: status, Summary: aws.String(summary)},
			})
			if err != nil {
				return friendlyError("PutApprovalResult", err)
			}
			msg := fmt.Sprintf("%s %s/%s of pipeline %s", verb, target.stage, target.action, name)
			if target.execID != "" {
				msg += " (execution " + target.execID + ")"
			}
			if out.ApprovedAt != nil {
				msg += " at " + out.ApprovedAt.Local().Format("15:04:05")
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	f := cmd.Flags()
	f.StringVar(&stage, "stage", "", "stage of the approval action")
	f.StringVar(&action, "action", "", "name of the approval action")
	f.StringVar(&token, "token", "", "the approval's token (default: from GetPipelineState)")
	f.BoolVar(&reject, "reject", false, "reject instead of approve")
	f.StringVar(&summary, "summary", "", "comment recorded with the answer")
	addEndpointFlag(cmd, &endpoint)
	return cmd
}

// approvalTarget is an approval action to answer.
type approvalTarget struct {
	stage, action, token, execID string
}

// findApproval picks the approval action to answer from the state: the
// one named by stage/action, else the only one waiting (an action in
// progress with a token). haveToken allows a named action that shows no
// token.
func findApproval(states []cptypes.StageState, stage, action string, haveToken bool) (approvalTarget, error) {
	var waiting []approvalTarget
	for _, st := range states {
		sn := aws.ToString(st.StageName)
		execID := ""
		if st.LatestExecution != nil {
			execID = aws.ToString(st.LatestExecution.PipelineExecutionId)
		}
		for _, as := range st.ActionStates {
			an := aws.ToString(as.ActionName)
			t := approvalTarget{stage: sn, action: an, execID: execID}
			le := as.LatestExecution
			inProgress := le != nil && le.Status == cptypes.ActionExecutionStatusInProgress
			if le != nil {
				t.token = aws.ToString(le.Token)
			}
			if stage != "" && action != "" {
				if sn != stage || an != action {
					continue
				}
				if t.token == "" && !haveToken {
					return t, fmt.Errorf("action %s/%s is not waiting for approval (no token in the pipeline state)", stage, action)
				}
				if !inProgress && !haveToken && le != nil {
					return t, fmt.Errorf("action %s/%s is not waiting for approval (status %s)", stage, action, orDash(string(le.Status)))
				}
				return t, nil
			}
			if inProgress && t.token != "" && (stage == "" || sn == stage) && (action == "" || an == action) {
				waiting = append(waiting, t)
			}
		}
	}
	if stage != "" && action != "" {
		return approvalTarget{}, fmt.Errorf("the pipeline has no action %s in a stage %s", action, stage)
	}
	switch len(waiting) {
	case 0:
		return approvalTarget{}, errors.New("no approval is waiting in the pipeline")
	case 1:
		return waiting[0], nil
	}
	var names []string
	for _, t := range waiting {
		names = append(names, t.stage+"/"+t.action)
	}
	return approvalTarget{}, usageErrorf("%d approvals are waiting (%s): choose one with --stage and --action", len(waiting), strings.Join(names, ", "))
}

func newPipelineStopCmd() *cobra.Command {
	var endpoint, reason string
	var abandon bool
	cmd := &cobra.Command{
		Use:   "stop NAME [EXECUTION_ID]",
		Short: "Stop a pipeline execution (the latest by default)",
		Long: `Stop an execution (StopPipelineExecution): running actions finish and no
new one starts; with --abandon, running actions are abandoned at once (their
builds or deployments may go on). EXECUTION_ID defaults to the newest.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cp := codepipelineClient(endpoint)
			id := ""
			if len(args) == 2 {
				id = args[1]
			} else {
				var err error
				if id, err = latestExecution(ctx, cp, args[0]); err != nil {
					return err
				}
			}
			in := &codepipeline.StopPipelineExecutionInput{PipelineName: aws.String(args[0]), PipelineExecutionId: aws.String(id), Abandon: abandon}
			if reason != "" {
				in.Reason = aws.String(reason)
			}
			if _, err := cp.StopPipelineExecution(ctx, in); err != nil {
				return friendlyError("StopPipelineExecution", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Stopping execution %s of pipeline %s\n", id, args[0])
			return nil
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	cmd.Flags().BoolVar(&abandon, "abandon", false, "abandon running actions instead of letting them finish")
	cmd.Flags().StringVar(&reason, "reason", "", "why the execution is stopped")
	addEndpointFlag(cmd, &endpoint)
	return cmd
}

func newPipelineHistoryCmd() *cobra.Command {
	var output, endpoint string
	var limit int
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "List a pipeline's executions, newest first",
		Long: `List a pipeline's executions (ListPipelineExecutions), newest first:
EXECUTION id, STATUS, TRIGGER, REVISION (the source revisions: short commit
and message), STARTED (how long ago) and DURATION (so far, for an execution
in progress).

-o json prints {"pipelineExecutionSummaries": [...]} as "aws codepipeline
list-pipeline-executions" does.
` + listExitCodes,
		Example: `  wharf pipeline history hello
  wharf pipeline history hello --limit 100 -o json | jq -r '.pipelineExecutionSummaries[].status'`,
		Args: cobra.ExactArgs(1),
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			format, err := parseOutputFormat(output)
			if err != nil {
				return err
			}
			if limit <= 0 {
				return usageErrorf("--limit must be positive")
			}
			ctx := cmd.Context()
			cp := codepipelineClient(endpoint)
			var all []cptypes.PipelineExecutionSummary
			in := &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String(args[0]), MaxResults: aws.Int32(int32(min(limit, 100)))}
			for len(all) < limit {
				out, err := cp.ListPipelineExecutions(ctx, in)
				if err != nil {
					return friendlyError("ListPipelineExecutions", err)
				}
				all = append(all, out.PipelineExecutionSummaries...)
				if out.NextToken == nil || len(out.PipelineExecutionSummaries) == 0 {
					break
				}
				in.NextToken = out.NextToken
			}
			all = all[:min(len(all), limit)]
			if format == outputJSON {
				m := &docMap{}
				m.set("pipelineExecutionSummaries", cmpSlice(awsDoc(all)))
				return writeJSON(cmd.OutOrStdout(), m)
			}
			return writeHistoryTable(cmd.OutOrStdout(), all, time.Now())
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().IntVar(&limit, "limit", 20, "show at most this many executions")
	addEndpointFlag(cmd, &endpoint)
	return cmd
}

func writeHistoryTable(w io.Writer, all []cptypes.PipelineExecutionSummary, now time.Time) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "EXECUTION\tSTATUS\tTRIGGER\tREVISION\tSTARTED\tDURATION")
	for _, s := range all {
		trigger := "-"
		if s.Trigger != nil {
			trigger = orDash(string(s.Trigger.TriggerType))
		}
		var revs []string
		for _, r := range s.SourceRevisions {
			rev := shortRevision(aws.ToString(r.RevisionId))
			if sum := firstLine(aws.ToString(r.RevisionSummary), 50); sum != "" {
				rev += " " + sum
			}
			revs = append(revs, strings.TrimSpace(rev))
		}
		started, duration := "-", "-"
		if s.StartTime != nil {
			started = ago(now.Sub(*s.StartTime))
			end := now
			switch s.Status {
			case cptypes.PipelineExecutionStatusInProgress, cptypes.PipelineExecutionStatusStopping:
			default:
				end = aws.ToTime(s.LastUpdateTime)
			}
			if !end.IsZero() {
				duration = shortDuration(max(0, end.Sub(*s.StartTime)))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", aws.ToString(s.PipelineExecutionId), s.Status, trigger,
			orDash(strings.Join(revs, ", ")), started, duration)
	}
	return tw.Flush()
}
