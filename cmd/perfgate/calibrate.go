package main

import (
	"context"
	"fmt"

	"github.com/perfgate/perfgate/gate/pipeline"
)

func init() {
	register(&command{name: "calibrate", summary: "A/A paired run (same commit on both arms), stored to learn run-to-run noise", run: runCalibrate})
}

func runCalibrate(ctx context.Context, e *env, args []string) int {
	c := commands["calibrate"]
	fs := newFlagSet(c, e)
	g := gateFlags{o: pipeline.Options{Calibrate: true, FailOn: "never"}}
	g.bind(fs, e, "perfgate-calibration")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	if g.store == "" && g.policy != "" {
		return usageError(c, e, "--store is required: calibration records are kept there")
	}
	res, code := g.run(ctx, c, e, fs)
	if res != nil {
		pipeline.WriteSummary(e.stdout, res.Verdict)
		fmt.Fprintln(e.stdout, "\nAn A/A run should show no real change; a failing check here means the two deployments differ (or the noise is larger than the prior assumes).")
	}
	return code
}
