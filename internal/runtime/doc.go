// Package runtime defines the narrow container-runtime boundary the instance
// agent drives: the Runtime interface, the runtime-neutral ContainerSpec the
// agent fills from an ECS container definition, the observed ContainerState,
// lifecycle Events, log lines, stats, sentinel errors and the container labels
// wharf puts on everything it creates.
//
// Implementations live in sub-packages: runtime/docker talks to a real Docker
// engine, runtime/fake is a deterministic in-memory runtime for controller,
// scheduler and agent tests and for simulations with thousands of containers.
//
// This package owns only types; it imports nothing internal and nothing
// Docker-specific.
package runtime
