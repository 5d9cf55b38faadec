package fake

import (
	"time"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Behavior says how a fake container acts. The zero Behavior runs until
// stopped, exits 0 on its stop signal and prints nothing.
type Behavior struct {
	// RunFor is how long the container runs before exiting by itself with
	// ExitCode; 0 means until stopped.
	RunFor   time.Duration
	ExitCode int
	// OOM makes the container be OOM-killed when RunFor elapses instead of
	// exiting: an oom event, exit code 137, OOMKilled.
	OOM bool

	// CreateErr makes Create fail with this error.
	CreateErr error
	// StartErr makes Start fail with this error, like a missing entrypoint
	// on Docker: the container stays created with State.Error set.
	StartErr error
	// PullErr makes Pull of the image fail; the error returned wraps both
	// runtime.ErrImageNotFound and PullErr. Only image behaviors are
	// consulted by Pull.
	PullErr error

	// StopExitCode is the exit code after the stop signal (SIGTERM).
	StopExitCode int
	// StopDelay is how long the process takes to exit after the stop
	// signal. If it is not shorter than Stop's timeout, the container is
	// killed when the timeout elapses (exit code 137). While the delay
	// runs, Stop blocks until the clock is advanced past it.
	StopDelay time.Duration
	// IgnoreStop makes the process ignore its stop signal: Stop kills it
	// when its timeout elapses (exit code 137).
	IgnoreStop bool

	// Health is the sequence of health statuses reported after start, for
	// containers whose spec has a Healthcheck (others have no health, as on
	// Docker). The status is "starting" until the first step. Nil means
	// "healthy after one health-check interval" (30s if the spec sets none).
	Health []HealthStep

	// Output is printed when the container starts.
	Output []OutputLine
	// Stats is what Stats reports while the container runs; Time is set
	// to now, and MemoryLimitBytes to the spec's MemoryBytes if zero.
	Stats runtime.Stats
}

// HealthStep: After this long since start, the health status becomes Status
// (runtime.HealthHealthy or runtime.HealthUnhealthy).
type HealthStep struct {
	After  time.Duration
	Status string
}

// OutputLine is one line a fake container prints.
type OutputLine struct {
	Stream runtime.LogStream
	Text   string
}
