// Package fake is an in-memory runtime.Runtime for controller, scheduler and
// agent tests and for simulations with thousands of containers.
//
// It is deterministic: time is a manual clock (Advance) or a clock the test
// owns (Options.Now plus Sync), never the wall clock, and nothing happens
// between calls. How a container behaves — how long it runs and with which
// exit code, whether it fails to start, OOMs, ignores SIGTERM, what its health
// check reports over time, what it prints — is configured per image or per
// container name with a Behavior. Events, states, exit codes and errors follow
// what Docker does (see runtime/docker), so code tested against the fake
// behaves the same on a real engine.
//
// Lifecycle of a fake container:
//
//	Create ──► created ──Start──► running ──RunFor elapses / Stop / OOM──► exited
//	              │  StartErr         ▲                                     │
//	              └──(stays created,  └─────────────── Start ◄──────────────┘
//	                  Error set)
//	Remove from any state ──► (destroy event; gone)
package fake
