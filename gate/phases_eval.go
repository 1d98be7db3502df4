package gate

import (
	"fmt"
	"math"
	"slices"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// phaseSLO judges an SLO on a metric of the phases of a scenario
// ("during.e2e.p95", "recovery", "scale_up", "suffered"); ok is false for
// any other SLO. A scenario without faults or spike has no such checks.
func phaseSLO(rec *baseline.Record, slo SLO, rules Rules) (cs []Check, ok bool) {
	phase, inner := metric.SplitPhase(slo.Name)
	switch {
	case slo.Metric == metric.Recovery:
		if len(disturbancesOf(rec)) == 0 {
			return nil, true
		}
		return []Check{recoverySLO(rec, slo)}, true
	case slo.Metric == metric.ScaleUp || slo.Metric == metric.Suffered:
		if rec.Spike == nil {
			return nil, true
		}
		return []Check{autoscaleSLO(rec, slo)}, true
	case phase == "":
		return nil, false
	}
	if len(disturbancesOf(rec)) == 0 {
		return nil, true
	}
	view := phaseView(rec, phase)
	if view == nil {
		c := unmeasuredCheck(rec, slo.Name, KindSLO, fmt.Sprintf("no measured window lies %s the faults or spike", phase), slices.Contains(rules.Optional, slo.Name))
		c.Op, c.Limit, c.Baseline = slo.Op, slo.Limit, slo.Limit
		return []Check{c}, true
	}
	in := slo
	in.Name = inner
	in.Metric, _ = metric.SplitName(inner)
	cs = sloChecks(view, in, rules)
	what := "the faults"
	if len(rec.Faults) == 0 {
		what = "the spike"
	}
	for i := range cs {
		cs[i].Name, cs[i].Metric = slo.Name, slo.Metric
		cs[i].Reason = fmt.Sprintf("%s %s (%d windows): %s", phase, what, len(view.Windows), cs[i].Reason)
	}
	return cs, true
}

// phaseGate builds the regression check of gating metric name when it is
// a metric of the phases of a scenario; ok is false for any other. A
// phase-restricted metric ("during.e2e.p95") is compared like any other,
// on the windows of that phase of this run and of its baselines; recovery
// and scale_up by timingGate. c is a check judged already, r one for
// decide; both nil when the scenario has no phases.
func phaseGate(rec *baseline.Record, name string, history []*baseline.Record, cal []CalibrationRun, rules Rules) (c *Check, r *regression, ok bool) {
	m, _ := metric.SplitName(name)
	phase, inner := metric.SplitPhase(name)
	switch {
	case m == metric.Recovery:
		if len(disturbancesOf(rec)) == 0 {
			return nil, nil, true
		}
		g := timingGate(rec, name, history, rules, recoveryValue)
		return &g, nil, true
	case m == metric.ScaleUp:
		if rec.Spike == nil {
			return nil, nil, true
		}
		g := timingGate(rec, name, history, rules, scaleUpValue)
		return &g, nil, true
	case m == metric.Suffered:
		if rec.Spike == nil {
			return nil, nil, true
		}
		g := Check{Scenario: rec.Scenario, Name: name, Metric: m, Stat: metric.ValueStat, Kind: KindRegression, Unit: metric.Ratio}
		notJudged(&g, fmt.Errorf("a share of requests over a timed period is judged by its SLO, not compared"))
		return &g, nil, true
	case phase == "":
		return nil, nil, false
	}
	if len(disturbancesOf(rec)) == 0 {
		return nil, nil, true
	}
	view := phaseView(rec, phase)
	innerMetric, stat := metric.SplitName(inner)
	why := ""
	switch {
	case view == nil:
		why = fmt.Sprintf("no measured window lies %s the faults or spike", phase)
	default:
		why = unmeasured(view, innerMetric, stat)
		if why == "" && rec.Reference != nil {
			if view.Reference == nil {
				why = fmt.Sprintf("in the baseline arm, no measured window lies %s the faults or spike", phase)
			} else if why = unmeasured(view.Reference, innerMetric, stat); why != "" {
				why = "in the baseline arm, " + why
			}
		}
	}
	if why != "" {
		u := unmeasuredCheck(rec, name, KindRegression, why, slices.Contains(rules.Optional, name))
		u.Mode = modeOf(rec, history)
		return &u, nil, true
	}
	var hv []*baseline.Record
	for _, h := range history {
		if v := phaseView(h, phase); v != nil {
			hv = append(hv, v)
		}
	}
	reg := compareCheck(view, inner, hv, aaStatsOf(cal, name, rules), rules)
	reg.check.Name, reg.check.Metric = name, phase+"."+innerMetric
	return nil, reg, true
}

// timingGate compares a time measured in windows (recovery, scale_up)
// with its baseline's: the live baseline arm's, or the median of the
// stored runs'. A change within one window is the resolution of the
// timing: FAIL when this run never reached the event and the baseline did,
// or reached it more than one window and more than the material change
// later; PASS when no more than one window later; WARN otherwise. It is
// judged apart from Holm's correction (it is no estimate with an
// interval).
func timingGate(rec *baseline.Record, name string, history []*baseline.Record, rules Rules, value func(*baseline.Record) (ms float64, never, ok bool)) Check {
	c := Check{Scenario: rec.Scenario, Name: name, Metric: name, Stat: metric.ValueStat, Kind: KindRegression,
		Unit: metric.Ms, Gating: true, Baseline: nan(), Candidate: nan(), Change: nan(), CILow: nan(), CIHigh: nan()}
	var refs []*baseline.Record
	c.Mode = modeOf(rec, history)
	switch c.Mode {
	case ModePaired:
		refs = []*baseline.Record{rec.Reference}
	case ModeHistory:
		refs = history
		if len(refs) > rules.History {
			refs = refs[:rules.History]
		}
	}
	show := func(ms float64, never bool) string {
		if never {
			return "never"
		}
		return metric.Format(ms, metric.Ms)
	}
	cand, cNever, ok := value(rec)
	if !ok {
		notJudged(&c, fmt.Errorf("it could not be timed in this run"))
		return c
	}
	if !cNever {
		c.Candidate = cand
	}
	var base []float64
	for _, r := range refs {
		if v, never, ok := value(r); ok {
			if never {
				v = inf()
			}
			base = append(base, v)
		}
	}
	if len(base) == 0 {
		c.Mode = ModeNone
		notJudged(&c, fmt.Errorf("no baseline to compare with (this run: %s)", show(cand, cNever)))
		return c
	}
	slices.Sort(base)
	b := base[(len(base)-1)/2] // the lower median: never is not averaged
	bNever := b == inf()
	if !bNever {
		c.Baseline = b
	}
	c.History = len(base)
	window := 1000 * rec.WindowSeconds
	cs, bs, ws := show(cand, cNever), show(b, bNever), metric.Format(window, metric.Ms)
	switch {
	case bNever:
		c.Verdict = Pass
		c.Reason = fmt.Sprintf("%s %s; the baseline: never", name, cs)
	case cNever:
		c.Verdict = Fail
		c.Reason = fmt.Sprintf("%s: never in this run; %s in the baseline", name, bs)
	case cand <= b+window:
		c.Verdict = Pass
		c.Reason = fmt.Sprintf("%s %s against %s: within one window (%s), the resolution of the timing", name, cs, bs, ws)
	case cand > b*(1+rules.Material):
		c.Verdict = Fail
		c.Reason = fmt.Sprintf("%s %s against %s: later by more than one window (%s) and more than the material %.0f%%", name, cs, bs, ws, 100*rules.Material)
	default:
		c.Verdict, c.ReasonKind = Warn, ReasonSmallRegression
		c.Reason = fmt.Sprintf("%s %s against %s: later by more than one window (%s), but less than the material %.0f%%", name, cs, bs, ws, 100*rules.Material)
	}
	if b > 0 && !bNever && !cNever {
		c.Change = cand/b - 1
	}
	return c
}

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }

// phasePowerNote says why perfgate plan predicts no MDE for a gating check
// of the phases of a scenario; "" for any other.
func phasePowerNote(name string) string {
	m, _ := metric.SplitName(name)
	if phase, _ := metric.SplitPhase(name); phase != "" {
		return fmt.Sprintf("judged over the windows %s the faults or spike only, which the plan does not predict", phase)
	}
	switch m {
	case metric.Recovery, metric.ScaleUp:
		return "timed in windows: judged by the one-window rule, no MDE (docs/metrics.md)"
	case metric.Suffered:
		return "judged by its SLO only"
	}
	return ""
}
