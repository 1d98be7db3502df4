package main

import (
	"context"
	"fmt"

	"github.com/perfgate/perfgate/gate/eval"
)

func init() {
	register(&command{name: "eval", summary: "measure the verdict's error rates against the simulator", run: runEval})
}

func runEval(ctx context.Context, e *env, args []string) int {
	c := commands["eval"]
	fs := newFlagSet(c, e)
	f := eval.BindFlags(fs)
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(c, e, "unexpected argument %q", fs.Arg(0))
	}
	base, plan, shifts, err := f.Resolve()
	if err != nil {
		return usageError(c, e, "%v", err)
	}
	if err := eval.Tables(ctx, base, plan, shifts, e.stdout, e.stderr); err != nil {
		fmt.Fprintf(e.stderr, "perfgate eval: %v\n", err)
		return exitNoTrust
	}
	return exitPass
}
