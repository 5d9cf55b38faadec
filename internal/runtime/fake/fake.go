package fake

import (
	"container/heap"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Options configure New.
type Options struct {
	// Start is the initial time of the manual clock; zero means
	// 2025-01-01T00:00:00Z.
	Start time.Time
	// Now, if set, replaces the manual clock with one the test owns: the
	// runtime reads the time from it, Advance panics, and the test calls
	// Sync after moving its clock (any other method call syncs too).
	Now func() time.Time
	// Images are present locally from the start.
	Images []string
}

// Runtime is the in-memory runtime. Its zero value is not usable; call New.
type Runtime struct {
	mu    sync.Mutex
	now   func() time.Time // external clock, or nil
	clock time.Time        // manual clock

	seq            uint64
	images         map[string]bool
	imageBehaviors map[string]Behavior
	nameBehaviors  map[string]Behavior
	containers     map[string]*container // by ID
	names          map[string]string     // name → ID
	networks       map[string]*network   // by name
	timers         timerHeap
	subs           map[*subscriber]struct{}
	nextHostPort   int

	stopping     int        // Stop calls waiting for their container to exit
	stoppingCond *sync.Cond // signalled when stopping changes; uses mu
}

var _ runtime.Runtime = (*Runtime)(nil)

type container struct {
	seq  uint64
	spec runtime.ContainerSpec // Labels include wharf.managed
	b    Behavior
	st   runtime.ContainerState
	gen  uint64        // bumped on every start and exit; stale timers are ignored
	done chan struct{} // closed when the current run ends; nil when not running

	logs       []runtime.LogLine // append-only
	logChanged chan struct{}     // closed on append; nil while nobody follows
}

type network struct {
	info runtime.NetworkInfo
	next uint32 // next host number to hand out
}

// New returns an empty fake runtime with the default "bridge", "host" and
// "none" networks.
func New(opts Options) *Runtime {
	start := opts.Start
	if start.IsZero() {
		start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	r := &Runtime{
		now:            opts.Now,
		clock:          start,
		images:         map[string]bool{},
		imageBehaviors: map[string]Behavior{},
		nameBehaviors:  map[string]Behavior{},
		containers:     map[string]*container{},
		names:          map[string]string{},
		networks:       map[string]*network{},
		subs:           map[*subscriber]struct{}{},
		nextHostPort:   32768,
	}
	r.stoppingCond = sync.NewCond(&r.mu)
	for _, img := range opts.Images {
		r.images[img] = true
	}
	r.addNetwork("bridge", nil, 17)
	r.networks["host"] = &network{info: runtime.NetworkInfo{ID: r.newID(), Name: "host"}}
	r.networks["none"] = &network{info: runtime.NetworkInfo{ID: r.newID(), Name: "none"}}
	return r
}

// Now is the runtime's current time.
func (r *Runtime) Now() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nowLocked()
}

func (r *Runtime) nowLocked() time.Time {
	if r.now != nil {
		return r.now()
	}
	return r.clock
}

// Advance moves the manual clock forward by d and carries out everything due
// by then (exits, kills, health changes) in time order.
func (r *Runtime) Advance(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.now != nil {
		panic("fake.Runtime.Advance with an external clock (Options.Now): advance that clock and call Sync")
	}
	r.clock = r.clock.Add(d)
	r.processDue()
}

// Sync carries out everything due by the current time. Only needed with an
// external clock (Options.Now); every other method syncs first, too.
func (r *Runtime) Sync() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processDue()
}

// AddImage makes images present locally, as if pulled.
func (r *Runtime) AddImage(images ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, img := range images {
		r.images[img] = true
	}
}

// SetImageBehavior sets how containers created from image behave (and
// whether the image can be pulled).
func (r *Runtime) SetImageBehavior(image string, b Behavior) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.imageBehaviors[image] = b
}

// SetContainerBehavior sets how containers called name behave; name is
// matched against the ECS container name (label wharf.container-name) first,
// then the container's own name. It wins over SetImageBehavior. A behavior
// is captured when the container is created.
func (r *Runtime) SetContainerBehavior(name string, b Behavior) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nameBehaviors[name] = b
}

func (r *Runtime) behaviorFor(spec runtime.ContainerSpec) Behavior {
	if n := spec.Labels[runtime.LabelContainerName]; n != "" {
		if b, ok := r.nameBehaviors[n]; ok {
			return b
		}
	}
	if b, ok := r.nameBehaviors[spec.Name]; ok && spec.Name != "" {
		return b
	}
	return r.imageBehaviors[spec.Image]
}

// WriteOutput makes a running or stopped container print a line, for tests
// of log consumers.
func (r *Runtime) WriteOutput(id string, stream runtime.LogStream, text string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processDue()
	c, err := r.lookup("write output of", id)
	if err != nil {
		return err
	}
	r.appendLog(c, runtime.LogLine{Stream: stream, Time: r.nowLocked(), Text: text})
	return nil
}

// Pull makes image present, unless its behavior has a PullErr.
func (r *Runtime) Pull(ctx context.Context, image string, progress func(string)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	pullErr := r.imageBehaviors[image].PullErr
	if pullErr == nil {
		r.images[image] = true
	}
	r.mu.Unlock()
	if pullErr != nil {
		return fmt.Errorf("pull image %s: %w: %w", image, runtime.ErrImageNotFound, pullErr)
	}
	if progress != nil {
		progress("Status: Downloaded newer image for " + image)
	}
	return nil
}

// ImageExists reports whether image was added or pulled.
func (r *Runtime) ImageExists(ctx context.Context, image string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.images[image], nil
}

// Create creates a container from spec; its image must be present.
func (r *Runtime) Create(ctx context.Context, spec runtime.ContainerSpec) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processDue()
	if spec.Image == "" {
		return "", fmt.Errorf("container spec: image is required")
	}
	if !r.images[spec.Image] {
		return "", fmt.Errorf("create container %q: %w: no such image: %s", spec.Name, runtime.ErrImageNotFound, spec.Image)
	}
	name := strings.TrimPrefix(spec.Name, "/")
	if _, taken := r.names[name]; taken && name != "" {
		return "", fmt.Errorf("create container %q: %w: the container name is already in use", name, runtime.ErrConflict)
	}
	mode := spec.NetworkMode
	userDefined := mode != "" && mode != "bridge" && mode != "host" && mode != "none" && !strings.HasPrefix(mode, "container:")
	if userDefined && r.networks[mode] == nil {
		return "", fmt.Errorf("create container %q: network %s not found", name, mode)
	}
	if len(spec.NetworkAliases) > 0 && !userDefined {
		return "", fmt.Errorf("container spec: network aliases need a user-defined network, not network mode %q", mode)
	}
	b := r.behaviorFor(spec)
	if b.CreateErr != nil {
		return "", fmt.Errorf("create container %q: %w", name, b.CreateErr)
	}

	id := r.newID()
	if name == "" {
		name = fmt.Sprintf("fake-%d", r.seq)
	}
	spec.Name = name
	spec.Labels = maps.Clone(spec.Labels)
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	spec.Labels[runtime.LabelManaged] = "true"
	r.containers[id] = &container{
		seq:  r.seq,
		spec: spec,
		b:    b,
		st: runtime.ContainerState{
			ID: id, Name: name, Image: spec.Image, Labels: spec.Labels,
			Status: runtime.StatusCreated,
		},
	}
	r.names[name] = id
	return id, nil
}

// Start starts a created or exited container.
func (r *Runtime) Start(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processDue()
	c, err := r.lookup("start", id)
	if err != nil {
		return err
	}
	if c.st.Running {
		return nil
	}
	if c.b.StartErr != nil {
		c.st.Error = c.b.StartErr.Error()
		return fmt.Errorf("start container %s: %w", c.st.ID, c.b.StartErr)
	}
	r.start(c)
	return nil
}

// Stop delivers the stop signal and returns once the container has exited;
// see Behavior.StopDelay and IgnoreStop for when that takes clock time.
func (r *Runtime) Stop(ctx context.Context, id string, timeout time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	r.processDue()
	c, err := r.lookup("stop", id)
	if err != nil || !c.st.Running {
		r.mu.Unlock()
		return err
	}
	now := r.nowLocked()
	done := c.done
	switch {
	case !c.b.IgnoreStop && c.b.StopDelay <= 0:
		r.exit(c, now, c.b.StopExitCode, false)
	case !c.b.IgnoreStop && c.b.StopDelay < timeout:
		r.schedule(timer{at: now.Add(c.b.StopDelay), id: c.st.ID, gen: c.gen, kind: timerExit, exitCode: c.b.StopExitCode})
	case timeout <= 0:
		r.exit(c, now, 137, false)
	default:
		r.schedule(timer{at: now.Add(timeout), id: c.st.ID, gen: c.gen, kind: timerExit, exitCode: 137})
	}
	if c.done == nil { // exited right away
		r.mu.Unlock()
		return nil
	}
	r.stopping++
	r.stoppingCond.Broadcast()
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.stopping--
		r.stoppingCond.Broadcast()
		r.mu.Unlock()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop container %s: %w", id, ctx.Err())
	}
}

// WaitForStops blocks until at least n Stop calls are waiting for their
// containers to exit (see Behavior.StopDelay), so that a test can Advance the
// clock knowing the stop signals were delivered.
func (r *Runtime) WaitForStops(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.stopping < n {
		r.stoppingCond.Wait()
	}
}

// Remove kills the container if it runs and removes it.
func (r *Runtime) Remove(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processDue()
	c, err := r.lookup("remove", id)
	if err != nil {
		return err
	}
	now := r.nowLocked()
	if c.st.Running {
		r.exit(c, now, 137, false)
	}
	delete(r.containers, c.st.ID)
	delete(r.names, c.st.Name)
	c.gen++
	r.emit(c, runtime.Event{Type: runtime.EventDestroy, Time: now})
	return nil
}

// Inspect returns a copy of a container's state.
func (r *Runtime) Inspect(ctx context.Context, id string) (runtime.ContainerState, error) {
	if err := ctx.Err(); err != nil {
		return runtime.ContainerState{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processDue()
	c, err := r.lookup("inspect", id)
	if err != nil {
		return runtime.ContainerState{}, err
	}
	return copyState(c.st), nil
}

// List returns the containers carrying all labels, oldest first.
func (r *Runtime) List(ctx context.Context, labels map[string]string) ([]runtime.ContainerState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processDue()
	var matched []*container
	for _, c := range r.containers {
		if hasLabels(c.spec.Labels, labels) {
			matched = append(matched, c)
		}
	}
	slices.SortFunc(matched, func(a, b *container) int { return compareUint(a.seq, b.seq) })
	out := make([]runtime.ContainerState, len(matched))
	for i, c := range matched {
		out[i] = copyState(c.st)
	}
	return out, nil
}

// Stats returns the behavior's stats while the container runs, zeros
// otherwise (as Docker does).
func (r *Runtime) Stats(ctx context.Context, id string) (runtime.Stats, error) {
	if err := ctx.Err(); err != nil {
		return runtime.Stats{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processDue()
	c, err := r.lookup("stats of", id)
	if err != nil {
		return runtime.Stats{}, err
	}
	s := runtime.Stats{}
	if c.st.Running {
		s = c.b.Stats
	}
	s.Time = r.nowLocked()
	if s.MemoryLimitBytes == 0 && c.spec.MemoryBytes > 0 {
		s.MemoryLimitBytes = uint64(c.spec.MemoryBytes)
	}
	return s, nil
}

// EnsureNetwork returns the network called name, creating it if needed.
// Created networks get subnets 172.18.0.0/16, 172.19.0.0/16, …
func (r *Runtime) EnsureNetwork(ctx context.Context, name string, labels map[string]string) (runtime.NetworkInfo, error) {
	if err := ctx.Err(); err != nil {
		return runtime.NetworkInfo{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ok := r.networks[name]
	if !ok {
		all := maps.Clone(labels)
		if all == nil {
			all = map[string]string{}
		}
		all[runtime.LabelManaged] = "true"
		n = r.addNetwork(name, all, 17+len(r.networks)-2)
	}
	info := n.info
	info.Labels = maps.Clone(info.Labels)
	return info, nil
}

// lookup finds a container by full ID or name.
func (r *Runtime) lookup(op, idOrName string) (*container, error) {
	if c, ok := r.containers[idOrName]; ok {
		return c, nil
	}
	if id, ok := r.names[strings.TrimPrefix(idOrName, "/")]; ok {
		return r.containers[id], nil
	}
	return nil, fmt.Errorf("%s container %s: %w", op, idOrName, runtime.ErrNotFound)
}

func (r *Runtime) newID() string {
	r.seq++
	return fmt.Sprintf("%064x", r.seq)
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func copyState(st runtime.ContainerState) runtime.ContainerState {
	st.Labels = maps.Clone(st.Labels)
	st.Ports = slices.Clone(st.Ports)
	st.Networks = maps.Clone(st.Networks)
	if st.ExitCode != nil {
		code := *st.ExitCode
		st.ExitCode = &code
	}
	return st
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// timerHeap orders what is due by time, then by scheduling order.
type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

var _ heap.Interface = (*timerHeap)(nil)
