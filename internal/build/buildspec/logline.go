package buildspec

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// logTimeFormat is CodeBuild's container log timestamp.
const logTimeFormat = "2006/01/02 15:04:05.000000"

// Mask is what a secret value is replaced with in log lines.
const Mask = "***"

// logger writes masked lines to the caller's Log func. It is safe for
// concurrent use; once closed it drops lines, so nothing is logged after
// Run returns.
type logger struct {
	mu     sync.Mutex
	out    func(string)
	now    func() time.Time
	masks  []string
	closed bool
}

// addMask registers a secret value (and each of its lines) for masking.
func (l *logger) addMask(v string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range append([]string{v}, strings.Split(v, "\n")...) {
		s = strings.TrimRight(s, "\r")
		if s != "" {
			l.masks = append(l.masks, s)
		}
	}
	// Longest first, so a secret containing another is masked whole.
	sort.SliceStable(l.masks, func(i, j int) bool { return len(l.masks[i]) > len(l.masks[j]) })
}

func (l *logger) mask(s string) string {
	for _, m := range l.masks {
		s = strings.ReplaceAll(s, m, Mask)
	}
	return s
}

// agent logs a line of the build agent: "[Container] <time> <msg>".
// A multi-line message (a multi-line command) is logged line by line.
func (l *logger) agent(msg string) {
	lines := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	l.raw("[Container] " + l.now().Format(logTimeFormat) + " " + lines[0])
	for _, s := range lines[1:] {
		l.raw(s)
	}
}

// raw logs a line of command output as is.
func (l *logger) raw(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.out == nil {
		return
	}
	l.out(l.mask(line))
}

func (l *logger) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}
