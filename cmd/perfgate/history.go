package main

import (
	"context"
	"strings"

	"github.com/perfgate/perfgate/gate/pipeline"
)

func init() {
	register(&command{name: "history", summary: "show the trend of metrics over the stored runs", run: runHistory})
}

func runHistory(ctx context.Context, e *env, args []string) int {
	c := commands["history"]
	fs := newFlagSet(c, e)
	var o pipeline.HistoryOptions
	policy := fs.String("policy", "", "the policy whose stored runs to show")
	fs.StringVar(&o.Store, "store", "", "the store: a directory, dir:PATH or branch:NAME (required)")
	fs.StringVar(&o.Branch, "branch", "", "only runs of this branch (default: every branch)")
	fs.StringVar(&o.Scenario, "scenario", "", "only this scenario")
	fs.Func("metric", "comma-separated statistics, e.g. e2e.p95 (default: the policy's gating metrics)", func(s string) error {
		o.Metrics = append(o.Metrics, strings.Split(s, ",")...)
		return nil
	})
	fs.IntVar(&o.Limit, "limit", pipeline.TrendRuns, "the newest runs to show per scenario")
	fs.StringVar(&o.Format, "format", "table", "table, json or csv")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	if code, ok := policyArg(c, e, fs, policy); !ok {
		return code
	}
	p, err := readPolicy(e, *policy)
	if err != nil {
		return exitInvalid
	}
	return finish(e, pipeline.History(ctx, p, o, e.stdout, e.stderr, e.getenv), nil, "never")
}
