// Command wharf is the wharf binary: the control plane server, the instance
// agent, the load balancer and the CLI, one subcommand per role.
package main

import (
	"errors"
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
		os.Exit(reportError(err))
	}
}

// reportError prints err (unless the command already did) and returns the
// process exit code: the one an exitCodeError carries, else 1.
func reportError(err error) int {
	var ec *exitCodeError
	if errors.As(err, &ec) {
		if !ec.reported {
			fmt.Fprintln(os.Stderr, "wharf:", ec.err)
		}
		return ec.code
	}
	fmt.Fprintln(os.Stderr, "wharf:", err)
	return 1
}
