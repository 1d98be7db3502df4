package main

import (
	"context"
	"fmt"

	"github.com/perfgate/perfgate/gate/pipeline"
)

func init() {
	register(&command{name: "plan", summary: "before a run: the MDE each gating check will have, and what would resolve the material change", run: runPlan})
}

func runPlan(ctx context.Context, e *env, args []string) int {
	c := commands["plan"]
	fs := newFlagSet(c, e)
	var policy, store string
	o := pipeline.Options{Log: e.stderr}
	fs.StringVar(&policy, "policy", "", "policy file (.cue, .yaml, .json)")
	fs.StringVar(&store, "store", "", "baseline store with calibration and history records: a directory, dir:PATH or branch:NAME")
	fs.StringVar(&o.BaselineURL, "baseline-url", "", "plan a paired run against this live baseline (default: the policy's target.baseline_url)")
	fs.StringVar(&o.BaseBranch, "base-branch", "main", "branch whose stored runs history mode compares with")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	} else if code, ok := policyArg(c, e, fs, &policy); !ok {
		return code
	}
	var err error
	if o.Store, err = pipeline.OpenStore(store, 0, e.getenv, nil, "", ""); err != nil {
		return usageError(c, e, "--store: %v", err)
	}
	p, err := readPolicy(e, policy)
	if err != nil {
		return exitInvalid
	}
	pl, err := pipeline.Plan(ctx, p, o)
	if err != nil {
		return finish(e, err, nil, "never")
	}
	pipeline.WritePlan(e.stdout, pl)
	for _, n := range append(p.SampleWarnings(), p.Notes()...) {
		fmt.Fprintf(e.stdout, "\nnote: %s\n", n)
	}
	return exitPass
}
