// Command perfgate is a performance gate for pull requests and release
// pipelines: it load-tests a service, compares the result with stored
// baselines and decides pass, warn or fail.
//
// main is a shim over run, which takes the arguments, the environment and the
// output writers and returns the process exit code, so that every command is
// testable in process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
