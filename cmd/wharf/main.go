// Command wharf is the wharf binary: the control plane server, the instance
// agent, the load balancer and the CLI, one subcommand per role.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "wharf:", err)
		os.Exit(1)
	}
}
