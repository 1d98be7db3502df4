package runner

import (
	"context"
	"math"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/policies"
)

// LookFunc decides, at a look of a scenario the policy lets extend
// (regression.extend), whether its checks are still undecided and the load
// should go on: rec is the run so far, tagged as a finished one would be,
// and l the looks taken so far, l.Alpha the family α of this one.
type LookFunc func(rec *baseline.Record, l gate.Looks) bool

// extensible reports whether scenario sc of p may be extended: a steady
// or soak scenario of a policy with regression.extend.
func extensible(p *policies.Policy, sc *policies.Scenario) bool {
	return p.Regression.Extend.Std() > 0 && (sc.Kind == policies.KindSteady || sc.Kind == policies.KindSoak) && len(sc.Faults) == 0
}

// runLooks runs an extensible scenario: its planned duration, then, while
// look says a check is undecided and the longest run is not reached,
// further segments of the planned duration (the last one shorter), each
// joined to the run so far (load.Append) and looked at again. A segment
// starts without a warm-up, as the target is warm, after the previous
// segment's requests finished; both arms share every segment's schedule,
// whose arrivals are drawn anew. It returns the joined record and the
// looks taken.
func runLooks(ctx context.Context, p *policies.Policy, sc *policies.Scenario, wl load.Workload, cand load.Target, base *load.Target, meta load.RunMeta, prog *progress, maxLag time.Duration, look LookFunc) (*baseline.Record, *gate.Looks, error) {
	pl := SteadyPlan(p, sc, wl)
	pl.MaxLagP99 = maxLag
	planned, extend := pl.Duration, p.Regression.Extend.Std()
	window := pl.Window
	if window <= 0 {
		window = load.DefaultWindow
	}
	alpha := Rules(p).Alpha
	pl.Progress = prog.snapshot(sc.Name, pl.Warmup+planned)
	bres, cres, err := runSegment(ctx, pl, cand, base)
	if err != nil {
		return nil, nil, err
	}
	if err := aborted(sc.Name, cres, bres); err != nil {
		rec, rerr := recordOf(bres, cres, meta, base)
		if rerr != nil {
			return nil, nil, rerr
		}
		return rec, nil, err
	}
	at := []float64{cres.Span().Seconds()}
	for {
		rec, err := recordOf(bres, cres, meta, base)
		if err != nil {
			return nil, nil, err
		}
		tagScenario(rec, p, sc)
		l := gate.NewLooks(sc.Name, at, planned, extend, alpha, gate.LooksDecided)
		done := time.Duration(at[len(at)-1] * float64(time.Second))
		seg := min(planned, planned+extend-done).Truncate(window)
		switch {
		case rec.Partial || ctx.Err() != nil:
			return rec, &l, nil
		case seg < window:
			l.Why = gate.LooksLimit
			return rec, &l, nil
		case !look(rec, l):
			return rec, &l, nil
		}
		prog.linef("scenario %s: undecided after %s; looking again after %s more (up to %s in all)", sc.Name, done, seg, planned+extend)
		next := segmentPlan(p, sc, wl, seg, len(at))
		next.MaxLagP99 = maxLag
		next.Progress = prog.snapshot(sc.Name, seg)
		nb, nc, err := runSegment(ctx, next, cand, base)
		if err != nil {
			return nil, nil, err
		}
		if cres, err = load.Append(cres, nc); err != nil {
			return nil, nil, err
		}
		if base != nil {
			if bres, err = load.Append(bres, nb); err != nil {
				return nil, nil, err
			}
		}
		at = append(at, cres.Span().Seconds())
	}
}

// segmentPlan is the plan of the k-th further segment (k ≥ 1) of a steady
// or soak scenario: seg long, no warm-up, the scenario's rate or users,
// arrivals drawn with a seed of their own.
func segmentPlan(p *policies.Policy, sc *policies.Scenario, wl load.Workload, seg time.Duration, k int) load.Plan {
	pl := basePlan(p, sc, wl)
	pl.Warmup, pl.Duration = 0, seg
	if sc.Concurrency > 0 {
		pl.Concurrency = sc.Concurrency
		return pl
	}
	if sc.Arrival == policies.ArrivalPoisson {
		pl.Pacer = load.NewPoissonPacer(sc.Rate, seg, p.Seed+int64(k))
	} else {
		pl.Pacer = load.ConstantPacer{Rate: sc.Rate, Duration: seg}
	}
	return pl
}

// runSegment runs plan pl on the candidate, and on the baseline too when
// there is one (both under the one schedule).
func runSegment(ctx context.Context, pl load.Plan, cand load.Target, base *load.Target) (bres, cres *load.Result, err error) {
	if base == nil {
		cres, err = load.Run(ctx, pl, cand)
	} else {
		bres, cres, err = load.RunPaired(ctx, pl, *base, cand)
	}
	if err != nil {
		return nil, nil, &ConfigError{err}
	}
	return bres, cres, nil
}

// recordOf summarises a run of one or two arms into its record.
func recordOf(bres, cres *load.Result, meta load.RunMeta, base *load.Target) (*baseline.Record, error) {
	if base == nil {
		return load.Summarize(cres, meta)
	}
	return pairedRecord(bres, cres, meta, base.URL)
}

// LooksOf returns the looks a stored record of policy p took, rebuilt from
// its measured span (a run extended by regression.extend measured more
// than its planned duration), so that comparing it again judges it at the
// same α; nil when its scenario is not extensible.
func LooksOf(p *policies.Policy, rec *baseline.Record) *gate.Looks {
	sc, ok := p.Scenarios.Lookup(rec.Scenario)
	if !ok || !extensible(p, sc) || len(rec.Windows) == 0 {
		return nil
	}
	planned, extend := sc.Duration.Std(), p.Regression.Extend.Std()
	window := time.Duration(rec.WindowSeconds * float64(time.Second))
	if window <= 0 {
		window = load.DefaultWindow
	}
	span := rec.Windows[len(rec.Windows)-1].End
	at := []float64{math.Min(planned.Seconds(), span)}
	for done := planned; float64(done)/float64(time.Second) < span-1e-9; {
		seg := min(planned, planned+extend-done).Truncate(window)
		if seg < window {
			break
		}
		done += seg
		at = append(at, math.Min(done.Seconds(), span))
	}
	why := gate.LooksDecided
	if planned+extend-time.Duration(at[len(at)-1]*float64(time.Second)) < window {
		why = gate.LooksLimit
	}
	l := gate.NewLooks(sc.Name, at, planned, extend, Rules(p).Alpha, why)
	return &l
}
