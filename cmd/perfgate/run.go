package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/gate/pipeline"
)

func init() {
	register(&command{name: "run", summary: "run the gate: load-test the target, compare with the baseline, decide", run: runRun})
}

func runRun(ctx context.Context, e *env, args []string) int {
	c := commands["run"]
	fs := newFlagSet(c, e)
	g := gateFlags{o: pipeline.Options{Labels: map[string]string{}}}
	g.bind(fs, e, "perfgate-report")
	fs.BoolVar(&g.o.SaveBaseline, "save-baseline", false, "store this run as the newest baseline of --branch")
	fs.StringVar(&g.o.FailOn, "fail-on", "fail", "verdict that exits non-zero: fail, warn or never")
	fs.StringVar(&g.o.BaseBranch, "base-branch", e.getenv("GITHUB_BASE_REF"), "branch whose stored runs to compare with (default --branch)")
	fs.Func("label", "environment label key=value, stored with the run (repeatable)", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("expected key=value, got %q", s)
		}
		g.o.Labels[k] = v
		return nil
	})
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	res, code := g.run(ctx, c, e, fs)
	if res != nil {
		pipeline.WriteSummary(e.stdout, res.Verdict)
		fmt.Fprintf(e.stdout, "\nReports: %s\n", strings.Join(res.Reports(), ", "))
	}
	return code
}
