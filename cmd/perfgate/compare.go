package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/gate/pipeline"
	"github.com/perfgate/perfgate/policies"
)

func init() {
	register(&command{
		name:    "compare",
		summary: "compare stored records offline (no load): a candidate against baselines",
		run:     runCompare,
	})
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func runCompare(ctx context.Context, e *env, args []string) int {
	c := commands["compare"]
	fs := newFlagSet(c, e)
	var bases multiFlag
	var o pipeline.Options
	cand := fs.String("candidate", "", "the candidate record (JSON)")
	fs.Var(&bases, "baseline", "a baseline record (JSON); repeatable")
	histDir := fs.String("history", "", "a directory store (or directory of record files) of base-branch runs")
	calDir := fs.String("calibration", "", "a directory store of A/A calibration records")
	policyPath := fs.String("policy", "", "take gating metrics, thresholds, SLOs and the cost model from this policy")
	gateList := fs.String("gate", "", "comma-separated gating metrics (default: every metric both sides measured)")
	fs.StringVar(&o.OutDir, "out", "", "also write report.json, comment.md and junit.xml here")
	fs.StringVar(&o.FailOn, "fail-on", "fail", "verdict that exits non-zero: fail, warn or never")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	if *cand == "" {
		return usageError(c, e, "--candidate is required")
	}
	if o.FailOn != "fail" && o.FailOn != "warn" && o.FailOn != "never" {
		return usageError(c, e, "--fail-on %q: expected fail, warn or never", o.FailOn)
	}
	cmp, err := pipeline.ReadComparison(ctx, *cand, bases, *histDir, *calDir)
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate compare: %v\n", err)
		return exitCode(err, nil, o.FailOn)
	}
	if *gateList != "" {
		cmp.Gate = strings.Split(*gateList, ",")
	}
	var p *policies.Policy
	if *policyPath != "" {
		if p, err = readPolicy(e, *policyPath); err != nil {
			return exitInvalid
		}
	}
	res, err := pipeline.Compare(p, cmp, o)
	if res != nil {
		pipeline.WriteSummary(e.stdout, res.Verdict)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate compare: %v\n", err)
		return exitCode(err, nil, o.FailOn)
	}
	return exitCode(nil, res.Verdict, o.FailOn)
}
