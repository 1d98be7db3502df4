package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/faultinject"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/policies"
)

// runFaultPhases runs a scenario with fault phases: runFixed, with the
// faults started and stopped on schedule (package faultinject). Every
// fault that started is stopped before it returns, whatever happened to
// the load (an error, a cancelled context, a panic). The phases as they
// happened go into the record and its reference arm.
func runFaultPhases(ctx context.Context, p *policies.Policy, sc *policies.Scenario, wl load.Workload, cand load.Target, base *load.Target, meta load.RunMeta, prog *progress, maxLag time.Duration, getenv func(string) string) (rec *baseline.Record, err error) {
	pl := planFor(p, sc, wl)
	pl.MaxLagP99 = maxLag
	pl.Progress = prog.snapshot(sc.Name, pl.Warmup+pl.Duration)
	sched := faultinject.Start(ctx, sc.Faults, time.Now(), pl.Warmup, getenv)
	var bres, cres *load.Result
	defer func() {
		measured := time.Now()
		if cres != nil {
			measured = cres.Started.Add(pl.Warmup)
		}
		phases := sched.Finish(measured)
		for _, ph := range phases {
			if ph.StartError != "" {
				prog.linef("  fault %s: start failed: %s", ph.Name, ph.StartError)
			}
			if ph.StopError != "" {
				prog.linef("  fault %s: stop failed: %s", ph.Name, ph.StopError)
			}
		}
		for r := rec; r != nil; r = r.Reference {
			r.Faults = phases
		}
	}()
	bres, cres, err = runSegment(ctx, pl, cand, base)
	if err != nil {
		return nil, err
	}
	rec, err = recordOf(bres, cres, meta, base)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	return rec, aborted(sc.Name, cres, bres)
}
