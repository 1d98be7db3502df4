package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/policies"
)

// Sharding runs one shard of a run that several load generators (an
// Actions matrix, a Kubernetes Indexed Job) send together: each sends its
// part of the same seeded schedule (load.Shard) from the agreed wall-clock
// StartAt, and keeps the raw results (Outcome.Raw) for a merge to judge.
//
// Scenarios follow one fixed timetable so that every shard starts each at
// the same moment: scenario k starts at StartAt + the warm-ups and
// durations of the scenarios before it + ScenarioGap after each.
// Extended scenarios (regression.extend) run their planned duration only:
// no shard can decide alone whether to go on.
type Sharding struct {
	Shard   load.Shard
	StartAt time.Time
}

// ScenarioGap is the pause between two scenarios of a sharded run: time for
// the last requests of one to finish (load.DefaultGrace) and for every
// shard to be ready for the next.
const ScenarioGap = 10 * time.Second

// Raw is what one scenario of a sharded run measured, per arm, before
// summarising: a merge joins the shards' Raw and summarises once.
type Raw struct {
	Scenario string
	Kind     string
	// Candidate and Baseline (paired mode; else nil) are this shard's
	// results; a capacity scenario has Steps instead, one per rate of its
	// ladder (Ladder).
	Candidate, Baseline *load.Result
	Steps               []RawStep `json:",omitempty"`
}

// RawStep is one rate of a sharded capacity scenario's ladder.
type RawStep struct {
	Rate                float64
	Candidate, Baseline *load.Result
	// Why says, after a merge, which shards could not be trusted in
	// this step (load.ShardReasons): the step then proves nothing.
	Why []string `json:"-"`
}

// StepGap is the pause between two steps of a sharded capacity ladder, for
// the requests of one step to finish (load.DefaultGrace) before the next.
const StepGap = 3 * time.Second

// Ladder returns the rates a sharded capacity scenario runs, the same in
// every shard: a search decides each step from the last, which shards
// cannot do apart, so a sharded run measures a fixed ladder instead, as
// many steps of sc.Step as sc.Budget holds (at least 2), spaced evenly on
// the log scale from search.from to search.to. The merge judges every step
// against the SLOs and takes the capacity as a search would from the same
// steps (gate.CapacitySearch.Observe): the highest rate that met them,
// bounded by the lowest that broke them.
func Ladder(sc *policies.Scenario) []float64 {
	if sc.Search == nil {
		return nil
	}
	from, to := sc.Search.From, sc.Search.To
	k := 2
	if st := sc.Step.Std(); st > 0 {
		k = max(k, int(sc.Budget.Std()/st))
	}
	if to <= from {
		return []float64{from}
	}
	rates := make([]float64, k)
	for i := range rates {
		rates[i] = from * math.Pow(to/from, float64(i)/float64(k-1))
	}
	return rates
}

// span is how long scenario sc takes in a sharded run's timetable.
func span(p *policies.Policy, sc *policies.Scenario) time.Duration {
	if sc.Kind != policies.KindCapacity {
		return sc.Warmup.Std() + sc.Duration.Std()
	}
	var d time.Duration
	for range Ladder(sc) {
		pl := CapacityStepPlan(p, sc, nil, 1, sc.Step.Std())
		d += pl.Warmup + pl.Duration + StepGap
	}
	return d
}

// StartOf returns when scenario sc starts in the timetable of a sharded
// run of policy p that runs the named scenarios (all when empty).
func (s *Sharding) StartOf(p *policies.Policy, only []string, sc *policies.Scenario) time.Time {
	at := s.StartAt
	for i := range p.Scenarios {
		o := &p.Scenarios[i]
		if o.Name == sc.Name {
			break
		}
		if len(only) > 0 && !slices.Contains(only, o.Name) {
			continue
		}
		at = at.Add(span(p, o) + ScenarioGap)
	}
	return at
}

// runShard runs this shard's part of a steady, soak or spike scenario
// from its slot in the timetable and keeps the raw results in out.
func (s *Sharding) runShard(ctx context.Context, o *Options, sc *policies.Scenario, wl load.Workload, cand load.Target, base *load.Target, meta load.RunMeta, prog *progress, out *Outcome) (*baseline.Record, error) {
	p := o.Policy
	if sc.Kind == policies.KindCapacity {
		return s.runLadder(ctx, o, sc, wl, cand, base, meta, prog, out)
	}
	pl := planFor(p, sc, wl)
	pl.MaxLagP99 = o.MaxLag
	pl.Shard, pl.StartAt = s.Shard, s.StartOf(p, o.Scenarios, sc)
	if wait := time.Until(pl.StartAt); wait > time.Second {
		prog.linef("shard %s: scenario %s starts at %s (in %s)", s.Shard, sc.Name, pl.StartAt.UTC().Format(time.RFC3339), wait.Round(time.Second))
	}
	pl.Progress = prog.snapshot(sc.Name, pl.Warmup+pl.Duration)
	bres, cres, err := runSegment(ctx, pl, cand, base)
	if err != nil {
		return nil, err
	}
	out.Raw = append(out.Raw, Raw{Scenario: sc.Name, Kind: sc.Kind, Candidate: cres, Baseline: bres})
	rec, err := recordOf(bres, cres, meta, base)
	if err != nil {
		return nil, err
	}
	return rec, aborted(sc.Name, cres, bres)
}

// runLadder runs this shard's part of every step of a capacity scenario's
// ladder, each at its slot in the timetable.
func (s *Sharding) runLadder(ctx context.Context, o *Options, sc *policies.Scenario, wl load.Workload, cand load.Target, base *load.Target, meta load.RunMeta, prog *progress, out *Outcome) (*baseline.Record, error) {
	p := o.Policy
	raw := Raw{Scenario: sc.Name, Kind: sc.Kind}
	at := s.StartOf(p, o.Scenarios, sc)
	var rec *baseline.Record
	for k, rate := range Ladder(sc) {
		pl := CapacityStepPlan(p, sc, wl, rate, sc.Step.Std())
		pl.MaxLagP99 = o.MaxLag
		pl.Shard, pl.StartAt = s.Shard, at
		at = at.Add(pl.Warmup + pl.Duration + StepGap)
		if k > 0 {
			pl.FailFast = nil // a rate beyond the capacity may fail
		}
		pl.Progress = prog.snapshot(fmt.Sprintf("%s @ %.3g req/s", sc.Name, rate), pl.Warmup+pl.Duration)
		bres, cres, err := runSegment(ctx, pl, cand, base)
		if err != nil {
			return nil, err
		}
		if err := aborted(sc.Name, cres, bres); err != nil {
			return nil, err
		}
		raw.Steps = append(raw.Steps, RawStep{Rate: rate, Candidate: cres, Baseline: bres})
		if rec, err = recordOf(bres, cres, meta, base); err != nil {
			return nil, err
		}
		if cres.Partial {
			break
		}
	}
	out.Raw = append(out.Raw, raw)
	return rec, nil
}

// RecordsOf summarises merged raw results into the records a single run of
// policy p would have made (meta completed as Run completes it;
// baselineHost names the baseline arm's target in paired mode).
func RecordsOf(p *policies.Policy, raws []Raw, meta load.RunMeta, baselineHost string) ([]*baseline.Record, error) {
	var recs []*baseline.Record
	for _, r := range raws {
		sc, ok := p.Scenarios.Lookup(r.Scenario)
		if !ok {
			return nil, fmt.Errorf("no scenario %q in the policy", r.Scenario)
		}
		if len(r.Steps) > 0 {
			rec, err := ladderRecord(p, sc, r.Steps, meta, baselineHost)
			if err != nil {
				return nil, err
			}
			recs = append(recs, rec)
			continue
		}
		rec, err := load.Summarize(r.Candidate, meta)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", r.Scenario, err)
		}
		if r.Baseline != nil {
			bmeta := meta
			bmeta.Env.Target = baselineHost
			if rec.Reference, err = load.Summarize(r.Baseline, bmeta); err != nil {
				return nil, fmt.Errorf("scenario %s, baseline: %w", r.Scenario, err)
			}
		}
		tagScenario(rec, p, sc)
		recs = append(recs, rec)
	}
	return recs, nil
}

// ParseSharding reads a shard spec ("I/N", or "N" with the 0-based index
// from JOB_COMPLETION_INDEX, set by Kubernetes Indexed Jobs, or
// PERFGATE_SHARD_INDEX) and the agreed start (RFC 3339, such as
// 2026-12-04T10:00:00Z, or Unix seconds). Empty arguments fall back to
// PERFGATE_SHARD and PERFGATE_START_AT; with no spec at all it returns nil:
// not a sharded run.
func ParseSharding(spec, startAt string, getenv func(string) string) (*Sharding, error) {
	spec = cmp.Or(spec, getenv("PERFGATE_SHARD"))
	startAt = cmp.Or(startAt, getenv("PERFGATE_START_AT"))
	if spec == "" {
		if startAt != "" {
			return nil, errors.New("--start-at is for a sharded run: give --shard I/N too")
		}
		return nil, nil
	}
	sh, err := load.ParseShard(spec, cmp.Or(getenv("JOB_COMPLETION_INDEX"), getenv("PERFGATE_SHARD_INDEX")))
	if err != nil {
		return nil, err
	}
	s := &Sharding{Shard: sh}
	if startAt == "" {
		return s, nil // RunShard says that it is needed
	}
	if t, err := time.Parse(time.RFC3339Nano, startAt); err == nil {
		s.StartAt = t
	} else if sec, err := strconv.ParseInt(startAt, 10, 64); err == nil && sec > 0 {
		s.StartAt = time.Unix(sec, 0)
	} else {
		return nil, fmt.Errorf("--start-at %q: want an RFC 3339 time such as 2026-12-04T10:00:00Z, or Unix seconds", startAt)
	}
	return s, nil
}

// ladderRecord judges the merged steps of a sharded capacity scenario, arm
// by arm, and returns the candidate's record (the baseline's in
// Reference), as a search would have: the summary of the highest step that
// met the SLOs, with the capacity and every step.
func ladderRecord(p *policies.Policy, sc *policies.Scenario, steps []RawStep, meta load.RunMeta, baselineHost string) (*baseline.Record, error) {
	arm := func(res func(RawStep) *load.Result, meta load.RunMeta) (*baseline.Record, error) {
		search, err := gate.NewCapacitySearch(sc.Search.From, sc.Search.To, float64(sc.Search.Precision), sc.Budget.Std(), sc.Step.Std())
		if err != nil {
			return nil, err
		}
		var last *baseline.Record
		for _, st := range steps {
			r := res(st)
			srec, err := load.Summarize(r, meta)
			if err != nil {
				return nil, err
			}
			met, breached, values := gate.StepMeets(srec, SLOs(p))
			step := baseline.CapacityStep{Rate: st.Rate, Achieved: r.Achieved, Met: met, Breached: breached, Values: values}
			_, step.Samples = srec.ErrorCounts()
			if !r.Validity.KeptUp() && !r.Validity.TargetSaturated() && met {
				step.Met = false
				step.Breached = "load generator could not keep up: " + strings.Join(r.Validity.Reasons(), "; ")
			}
			if len(st.Why) > 0 && met {
				step.Met, step.Breached = false, strings.Join(st.Why, "; ")
			}
			search.Observe(step, 0)
			if step.Met {
				last = srec
			}
		}
		c := search.Result()
		rec := last
		if rec == nil {
			rec = &baseline.Record{Schema: baseline.Schema, Kind: cmp.Or(meta.Kind, baseline.KindRun), Policy: meta.Policy, PolicyHash: meta.PolicyHash,
				Commit: meta.Commit, Branch: meta.Branch, Time: meta.Time.UTC(), Env: meta.Env, MetricDefs: metric.DefsVersion,
				Metrics: map[string]*baseline.Metric{}}
		}
		rec.Scenario, rec.Capacity, rec.Valid, rec.Invalid = sc.Name, &c, true, nil
		return rec, nil
	}
	crec, err := arm(func(s RawStep) *load.Result { return s.Candidate }, meta)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	if steps[0].Baseline != nil {
		bmeta := meta
		bmeta.Env.Target = baselineHost
		if crec.Reference, err = arm(func(s RawStep) *load.Result { return s.Baseline }, bmeta); err != nil {
			return nil, fmt.Errorf("scenario %s, baseline: %w", sc.Name, err)
		}
	}
	tagScenario(crec, p, sc)
	return crec, nil
}
