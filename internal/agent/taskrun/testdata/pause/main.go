// Command pause stands in for `wharf pause` in taskrun's Docker tests: it
// blocks until SIGTERM (or SIGINT) and exits 0, holding an awsvpc task's
// network namespace. It prints "ready" once it handles signals.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "pause" {
		os.Stderr.WriteString("usage: pause pause\n")
		os.Exit(2)
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	os.Stdout.WriteString("ready\n")
	<-c
}
