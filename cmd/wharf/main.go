// Command wharf is the wharf binary: the control plane server, the instance
// agent, the load balancer and the CLI, one subcommand per role.
package main

import (
	"fmt"
	"os"
)

func main() {
	// Pause containers run this binary as PID 1, which ignores signals it
	// has no handler for: install the handler before anything else.
	if len(os.Args) == 2 && os.Args[1] == "pause" {
		pause()
		return
	}
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "wharf:", err)
		os.Exit(1)
	}
}
