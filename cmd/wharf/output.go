package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// What the CLI commands deploy, services and ps share: exit codes, the
// -o flag, tables, terminal detection, and the ECS JSON client for exact
// wire shapes.

// Exit statuses of the CLI commands. main knows only "error → 1", so
// withExitCodes ends the process itself for the others.
const (
	exitError       = 1   // anything not listed below
	exitUsage       = 2   // bad flags or arguments; nothing was changed
	exitFailed      = 3   // the deployment failed or the service rolled back
	exitTimedOut    = 4   // --timeout passed before the rollout finished
	exitInterrupted = 130 // Ctrl-C (128 + SIGINT); the deployment continues
)

// exitCodeError is an error that ends the process with code. reported
// means the command has already printed it.
type exitCodeError struct {
	code     int
	err      error
	reported bool
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitCodeError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// withExitCodes wraps a RunE so that a usage error also tells where the
// command's help is; main turns exitCodeError into the process exit code.
func withExitCodes(run func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		var ec *exitCodeError
		if errors.As(err, &ec) && ec.code == exitUsage && !ec.reported {
			ec.err = fmt.Errorf("%w\nRun '%s --help' for usage.", ec.err, cmd.CommandPath())
		}
		return err
	}
}

// exitOnFlagError makes flag parsing errors exit with exitUsage; cobra
// would return them as plain errors, which exit 1.
func exitOnFlagError(cmd *cobra.Command, err error) error {
	return &exitCodeError{code: exitUsage, err: fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())}
}

// outputFormat is the value of -o/--output.
type outputFormat string

const (
	outputTable outputFormat = "table"
	outputJSON  outputFormat = "json"
)

func parseOutputFormat(s string) (outputFormat, error) {
	switch f := outputFormat(strings.ToLower(s)); f {
	case outputTable, outputJSON:
		return f, nil
	}
	return "", usageErrorf("-o/--output must be table or json, not %q", s)
}

// writeJSON prints v indented, as the AWS CLI prints responses.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(v)
}

// newTable returns a writer that aligns tab-separated columns; Flush it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// orDash is s, or "-" when s is empty, so that table cells are never blank.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// familyRevision turns a task definition ARN into family:revision.
func familyRevision(arn string) string {
	if i := strings.LastIndex(arn, "task-definition/"); i >= 0 {
		return arn[i+len("task-definition/"):]
	}
	return arn
}

// terminalWidth reports whether w is a terminal and, if so, its width in
// columns. TERM=dumb counts as no terminal.
func terminalWidth(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return 0, false
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, false
	}
	if ws.Col == 0 {
		return 80, true
	}
	return int(ws.Col), true
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// friendlyError shortens SDK errors ("operation error ECS: UpdateService,
// https response error StatusCode: 400, RequestID: …, ServiceNotFoundException:
// Service not found.") to "UpdateService: ServiceNotFoundException: Service
// not found.".
func friendlyError(op string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &shortError{msg: op + ": " + ae.ErrorCode() + ": " + ae.ErrorMessage(), err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// shortError is err with a shorter message.
type shortError struct {
	msg string
	err error
}

func (e *shortError) Error() string { return e.msg }
func (e *shortError) Unwrap() error { return e.err }

// ecsJSON calls the ECS API with JSON documents instead of SDK types.
// Commands use it where the exact wire shape matters: task definitions
// round-trip through it as documents (an SDK struct copy would drop every
// member it does not list), and -o json prints the DescribeServices and
// DescribeTasks shapes the AWS CLI prints, decoded into the generated wire
// types of internal/api/ecs/ecswire. Requests are signed with SigV4 like
// the SDK's.
type ecsJSON struct {
	endpoint string
	cfg      aws.Config
}

// ecsJSONError is an error response: {"__type": …, "message": …}.
type ecsJSONError struct {
	Operation, Code, Message string
}

func (e *ecsJSONError) Error() string {
	return e.Operation + ": " + e.Code + ": " + e.Message
}

// call POSTs in (marshalled unless it is a json.RawMessage) as operation op
// and decodes the response into out.
func (c *ecsJSON) call(ctx context.Context, op string, in, out any) error {
	body, ok := in.(json.RawMessage)
	if !ok {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+op)
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("%s: credentials: %w", op, err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ecs", c.cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("%s: sign: %w", op, err)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Type     string `json:"__type"`
			Message  string `json:"message"`
			Message2 string `json:"Message"`
		}
		_ = json.Unmarshal(data, &e)
		code := e.Type[strings.LastIndex(e.Type, "#")+1:]
		if code == "" {
			code = resp.Status
		}
		return &ecsJSONError{Operation: op, Code: code, Message: e.Message + e.Message2}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: decode response: %w", op, err)
	}
	return nil
}

// cliClients are the API clients of a CLI command.
type cliClients struct {
	ecs  *ecs.Client
	logs *cloudwatchlogs.Client
	json *ecsJSON
}

func newCLIClients(endpoint string) cliClients {
	cfg := cliAWSConfig()
	return cliClients{
		ecs:  ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = aws.String(endpoint) }),
		logs: cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(endpoint) }),
		json: &ecsJSON{endpoint: endpoint, cfg: cfg},
	}
}

// addEndpointFlag adds --endpoint as "wharf logs" has it.
func addEndpointFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "endpoint", envOr("WHARF_ENDPOINT", defaultEndpoint), "wharf server URL (env WHARF_ENDPOINT)")
}
