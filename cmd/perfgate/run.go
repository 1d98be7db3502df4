package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/gate/pipeline"
	"github.com/perfgate/perfgate/gate/runner"
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
	shard := fs.String("shard", "", "run shard I/N of the schedule (N alone: the index from JOB_COMPLETION_INDEX); env PERFGATE_SHARD")
	startAt := fs.String("start-at", "", "agreed start of every shard, RFC 3339 or Unix seconds; env PERFGATE_START_AT")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	p, code := g.prepare(ctx, c, e, fs, true)
	if p == nil {
		return code
	}
	sh, err := runner.ParseSharding(*shard, *startAt, e.getenv)
	if err != nil {
		return usageError(c, e, "%v", err)
	}
	if sh != nil {
		path, err := pipeline.RunShard(ctx, p, g.o, *sh)
		if path != "" {
			fmt.Fprintf(e.stdout, "shard %s: wrote %s; judge the run with perfgate merge\n", sh.Shard, path)
		}
		return finish(e, err, nil, "never")
	}
	res, err := pipeline.Run(ctx, p, g.o)
	code = finish(e, err, res, g.o.FailOn)
	if res != nil {
		pipeline.WriteSummary(e.stdout, res.Verdict)
		fmt.Fprintf(e.stdout, "\nReports: %s\n", strings.Join(res.Reports(), ", "))
	}
	return code
}
