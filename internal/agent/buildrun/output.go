package buildrun

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/agent/logcapture"
	"github.com/wharfhq/wharf/internal/model"
)

// logTimeFormat is CodeBuild's container log timestamp.
const logTimeFormat = "2006/01/02 15:04:05.000000"

// output ships a build's log lines to its CloudWatch Logs stream.
type output struct {
	mu    sync.Mutex
	lines *logcapture.Lines // nil: logs disabled
	now   func() time.Time
}

func (r *Runner) output(ctx context.Context, b *model.Build) *output {
	o := &output{now: r.cfg.Now}
	if r.cfg.Logs != nil && b.LogGroup != "" && b.LogStream != "" {
		// Not cancelled with the build: a stopped build's last lines
		// still reach the log.
		o.lines = r.cfg.Logs.Lines(context.WithoutCancel(ctx), b.LogGroup, b.LogStream)
	}
	return o
}

// raw logs a line as is (the buildspec runner masks and formats its own).
func (o *output) raw(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lines != nil {
		o.lines.Push(o.now(), line)
	}
}

// agent logs a line of the build agent in CodeBuild's format.
func (o *output) agent(msg string) {
	o.raw("[Container] " + o.now().Format(logTimeFormat) + " " + msg)
}

func (o *output) close() {
	if o.lines != nil {
		o.lines.Close()
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
