package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/perfgate/perfgate/gate/pipeline"
	"github.com/perfgate/perfgate/internal/ghaction"
)

func init() {
	register(&command{name: "action", summary: "run as a GitHub Action: gate, sticky PR comment, job summary, outputs", run: runAction})
}

func runAction(ctx context.Context, e *env, args []string) int {
	c := commands["action"]
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprint(e.stdout, c.usage)
			return exitPass
		}
		return usageError(c, e, "perfgate action takes no arguments; it reads INPUT_* variables")
	}
	j, err := ghaction.Start(e.getenv, e.stdout, e.stderr)
	if err != nil {
		err = &pipeline.InvalidError{Err: err}
		j.Fail(err)
		return pipeline.ExitCode(err, nil, "")
	}
	if j.In.ReportDir != "" {
		return publishReport(ctx, e, j)
	}
	return j.Gate(ctx, func(o *pipeline.Options) { e.gateOptions(o, false) })
}

// publishReport publishes a report made by an earlier job. It runs no load,
// so its exit code says only whether publishing worked.
func publishReport(ctx context.Context, e *env, j *ghaction.Job) int {
	err := j.PublishReportDir(ctx)
	var bad *ghaction.BadReportError
	if errors.As(err, &bad) {
		j.Action.Errorf("perfgate: %v", err)
		return pipeline.ExitCode(&pipeline.InvalidError{Err: err}, nil, "")
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
	}
	return pipeline.ExitCode(err, nil, "never")
}
