package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/gate/pipeline"
)

func init() {
	register(&command{name: "merge", summary: "join the shard records of a sharded run, then decide as run does", run: runMerge})
}

func runMerge(ctx context.Context, e *env, args []string) int {
	c := commands["merge"]
	fs := newFlagSet(c, e)
	g := gateFlags{o: pipeline.Options{Labels: map[string]string{}}}
	fs.StringVar(&g.policy, "policy", "", "the policy the shards ran (.cue, .yaml, .json)")
	fs.StringVar(&g.store, "store", "", "baseline store: a directory (or dir:PATH, or branch:NAME with GITHUB_TOKEN and GITHUB_REPOSITORY)")
	fs.IntVar(&g.keep, "keep", 0, "runs the store keeps per policy, scenario and branch (0: its default; negative: all)")
	fs.StringVar(&g.o.OutDir, "out", "perfgate-report", "directory for report.json, comment.md, junit.xml and records/")
	fs.StringVar(&g.o.Commit, "commit", e.getenv("GITHUB_SHA"), "commit SHA of the code under test")
	fs.StringVar(&g.o.Branch, "branch", e.getenv("GITHUB_REF_NAME"), "branch of the code under test")
	fs.BoolVar(&g.quiet, "quiet", false, "no progress output")
	fs.StringVar(&g.allowEnv, "allow-env", "", allowEnvUsage+"; give the shards' (a merge reads target.prometheus.token, sends no request)")
	fs.BoolVar(&g.o.SaveBaseline, "save-baseline", false, "store the merged run as the newest baseline of --branch")
	fs.StringVar(&g.o.FailOn, "fail-on", "fail", "verdict that exits non-zero: fail, warn or never")
	fs.StringVar(&g.o.BaseBranch, "base-branch", e.getenv("GITHUB_BASE_REF"), "branch whose stored runs to compare with (default --branch)")
	dirs, done, code := parseMixed(c, fs, e, args)
	if done {
		return code
	}
	if len(dirs) == 0 {
		return usageError(c, e, "no shard records: perfgate merge --policy P DIR... (the --out directories of the shards)")
	}
	p, code := g.prepare(ctx, c, e, fs, false)
	if p == nil {
		return code
	}
	res, err := pipeline.Merge(ctx, p, dirs, g.o)
	if res != nil {
		pipeline.WriteSummary(e.stdout, res.Verdict)
		fmt.Fprintf(e.stdout, "\nReports: %s\n", strings.Join(res.Reports(), ", "))
	}
	return finish(e, err, res, g.o.FailOn)
}
