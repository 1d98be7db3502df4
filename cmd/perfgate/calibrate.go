package main

import (
	"context"
	"fmt"
	"strings"
)

func init() {
	register(&command{
		name:    "calibrate",
		summary: "A/A paired run (same commit on both arms), stored to learn run-to-run noise",
		usage: `Usage: perfgate calibrate --policy POLICY --target URL --baseline-url URL --store DIR
                          [--scenario LIST] [--commit SHA]

Runs the policy in paired mode against two deployments of the SAME commit and
stores the result as a calibration record. Paired verdicts need the
between-deployment variance τ² that no single run can see; perfgate learns it
from these A/A records (at least 5; until then it assumes a conservative prior
and says so in every report).

Run it a few times after setting perfgate up, and again when the serving stack
changes (new GPU type, new runtime). On GitHub, the action stores one on every
push to the default branch when a baseline URL is configured.

Example:
  perfgate calibrate --policy perf/chat.cue --target https://main-a.example.com \
      --baseline-url https://main-b.example.com --store .perfgate
`,
		run: runCalibrate,
	})
}

func runCalibrate(ctx context.Context, e *env, args []string) int {
	c := commands["calibrate"]
	fs := newFlagSet(c, e)
	o := gateOptions{Calibrate: true, FailOn: "never"}
	var store, scenarios string
	fs.StringVar(&o.PolicyPath, "policy", "", "policy file")
	fs.StringVar(&o.Target, "target", "", "base URL of one deployment (overrides target.url)")
	fs.StringVar(&o.BaselineURL, "baseline-url", "", "base URL of another deployment of the same commit")
	fs.StringVar(&store, "store", "", "baseline store (a directory, dir:PATH or branch:NAME)")
	fs.StringVar(&o.OutDir, "out", "perfgate-calibration", "directory for the reports of the A/A run")
	fs.StringVar(&o.Commit, "commit", e.getenv("GITHUB_SHA"), "commit SHA both deployments run")
	fs.StringVar(&o.Branch, "branch", e.getenv("GITHUB_REF_NAME"), "branch of that commit")
	fs.StringVar(&scenarios, "scenario", "", "comma-separated scenarios to run (default: all)")
	fs.DurationVar(&o.MaxLag, "max-lag", 0, "client schedule lag p99 above which the run is invalid")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress output")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	switch {
	case o.PolicyPath == "":
		return usageError(c, e, "--policy is required")
	case store == "":
		return usageError(c, e, "--store is required: calibration records are kept there")
	}
	if scenarios != "" {
		o.Scenarios = strings.Split(scenarios, ",")
	}
	st, err := openStore(store, nil, "", "")
	if err != nil {
		return usageError(c, e, "--store: %v", err)
	}
	o.Store = st
	out, code := runGate(ctx, e, o)
	if out == nil {
		return code
	}
	printVerdict(e.stdout, out.Verdict)
	fmt.Fprintln(e.stdout, "\nAn A/A run should show no real change; a failing check here means the two deployments differ (or the noise is larger than the prior assumes).")
	return code
}
