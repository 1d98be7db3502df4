package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/load"
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
	// results.
	Candidate, Baseline *load.Result
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
		at = at.Add(o.Warmup.Std() + o.Duration.Std() + ScenarioGap)
	}
	return at
}

// Shardable reports why scenario sc cannot run sharded ("" when it can).
func Shardable(sc *policies.Scenario) string {
	if sc.Kind == policies.KindCapacity {
		return "a capacity search decides each step from the last, which shards cannot do apart; run capacity scenarios unsharded (--scenario) or in a run of their own"
	}
	return ""
}

// runShard runs this shard's part of a steady, soak or spike scenario
// from its slot in the timetable and keeps the raw results in out.
func (s *Sharding) runShard(ctx context.Context, o *Options, sc *policies.Scenario, wl load.Workload, cand load.Target, base *load.Target, meta load.RunMeta, prog *progress, out *Outcome) (*baseline.Record, error) {
	p := o.Policy
	if why := Shardable(sc); why != "" {
		return nil, &ConfigError{fmt.Errorf("%s: scenario %s: %s", p.File, sc.Name, why)}
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
		tagScenario(rec, sc)
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
