package main

import (
	"context"
	"strings"

	"github.com/perfgate/perfgate/gate/pipeline"
)

func init() {
	register(&command{name: "compare", summary: "compare stored records offline (no load): a candidate against baselines", run: runCompare})
}

func runCompare(ctx context.Context, e *env, args []string) int {
	c := commands["compare"]
	fs := newFlagSet(c, e)
	var bases []string
	var o pipeline.Options
	cand := fs.String("candidate", "", "the candidate record (JSON)")
	fs.Func("baseline", "a baseline record (JSON); repeatable", func(s string) error { bases = append(bases, s); return nil })
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
	p, err := readPolicy(e, *policyPath)
	if err != nil {
		return exitInvalid
	}
	cmp, err := pipeline.ReadComparison(ctx, *cand, bases, *histDir, *calDir)
	if *gateList != "" {
		cmp.Gate = strings.Split(*gateList, ",")
	}
	var res *pipeline.Result
	if err == nil {
		res, err = pipeline.Compare(p, cmp, o)
	}
	if res != nil {
		pipeline.WriteSummary(e.stdout, res.Verdict)
	}
	return finish(e, err, res, o.FailOn)
}
