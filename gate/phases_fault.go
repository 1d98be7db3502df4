package gate

import (
	"fmt"
	"math"

	mstats "github.com/aclements/go-moremath/stats"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// recovery is how a service came back from one disturbance.
type recovery struct {
	d disturbance
	// level and errBefore are the median window p95 latency and the error
	// rate of the windows before the disturbance.
	level, errBefore float64
	// seconds is the time from the end of the disturbance to the start of
	// the first window at or after it whose p95 latency and error rate are
	// back within tolerance; recovered is false when none was ("never").
	seconds   float64
	recovered bool
	// measurable is false when no window before it has a p95 latency.
	measurable bool
	// window is the window length: the resolution of seconds.
	window float64
}

// recoveryOf times the recovery from disturbance d of rec. A window counts
// from its start: the first window that starts at or after the end of the
// disturbance (or straddles it) and is back within tolerance gives
// max(0, its start − the end), so the time is known to within one window.
func recoveryOf(rec *baseline.Record, d disturbance) recovery {
	r := recovery{d: d, window: rec.WindowSeconds}
	e2e, ok := rec.Metrics[metric.E2E]
	if !ok || len(e2e.Windows) != len(rec.Windows) {
		return r
	}
	var pre []float64
	var failed, total int64
	for i, w := range rec.Windows {
		if w.End > d.start {
			break
		}
		if v, has := e2e.Windows[i].Stats["p95"]; has {
			pre = append(pre, v)
		}
		failed += w.Failed
		total += w.Failed + w.Succeeded
	}
	if len(pre) == 0 || total == 0 {
		return r
	}
	r.measurable = true
	r.level, r.errBefore = median(pre), float64(failed)/float64(total)
	for i, w := range rec.Windows {
		if w.End <= d.end {
			continue
		}
		v, has := e2e.Windows[i].Stats["p95"]
		n := w.Failed + w.Succeeded
		if !has || n == 0 {
			continue
		}
		if v <= r.level*(1+d.tol) && float64(w.Failed)/float64(n) <= r.errBefore+RecoveryErrorTolerance {
			r.seconds, r.recovered = math.Max(0, w.Start-d.end), true
			break
		}
	}
	return r
}

// recoveryValue is the recovery metric of rec: the longest recovery over
// its disturbances, in ms; never is true when one did not recover by the
// end of the run, ok false when none could be timed.
func recoveryValue(rec *baseline.Record) (ms float64, never, ok bool) {
	for _, d := range disturbancesOf(rec) {
		r := recoveryOf(rec, d)
		if !r.measurable {
			continue
		}
		ok = true
		if !r.recovered {
			never = true
			continue
		}
		ms = math.Max(ms, 1000*r.seconds)
	}
	return ms, never, ok
}

// faultChecks reports, per fault of rec, what its hooks did, how the
// service degraded during it and how long it took to recover. They are
// informational; a hook that failed warns.
func faultChecks(rec *baseline.Record, rules Rules) []Check {
	var out []Check
	for _, d := range disturbancesOf(rec) {
		if d.fault == nil {
			continue
		}
		f := d.fault
		base := Check{Scenario: rec.Scenario, Kind: KindSLO, Verdict: Pass}
		if f.StartError != "" || f.StopError != "" {
			c := base
			c.Name, c.Metric, c.Stat, c.Verdict = "fault."+f.Name+".hooks", "fault", "hooks", Warn
			c.Candidate, c.Baseline = math.NaN(), math.NaN()
			switch {
			case f.StartError != "":
				c.Reason = fmt.Sprintf("fault %s: the start hook failed, so the fault may not have happened: %s", f.Name, f.StartError)
				if f.StopError != "" {
					c.Reason += fmt.Sprintf("; the stop hook failed too: %s", f.StopError)
				}
			default:
				c.Reason = fmt.Sprintf("fault %s: the stop hook failed, so the fault may still be active: %s", f.Name, f.StopError)
			}
			out = append(out, c)
		}
		if deg, ok := degradation(rec, d, rules.Alpha); ok {
			out = append(out, deg)
		}
		r := recoveryOf(rec, d)
		c := base
		c.Name, c.Metric, c.Stat, c.Unit = "fault."+f.Name+".recovery", metric.Recovery, metric.ValueStat, metric.Ms
		c.Candidate, c.Baseline = math.NaN(), math.NaN()
		switch {
		case !r.measurable:
			c.Verdict = Warn
			c.Reason = fmt.Sprintf("fault %s: no measured window before it, so its recovery could not be timed; start it later or shorten the warm-up", f.Name)
		case !r.recovered:
			c.Verdict = Warn
			c.Reason = fmt.Sprintf("fault %s: never recovered: no window after it was back within %.0f%% of the p95 latency before (%s) and within %.0f points of its error rate, by the end of the run", f.Name, 100*d.tol, metric.Format(r.level, metric.Ms), 100*RecoveryErrorTolerance)
		default:
			c.Candidate = 1000 * r.seconds
			c.Reason = fmt.Sprintf("fault %s: recovered %s after it ended (to within one window of %s): window p95 latency back within %.0f%% of %s and error rate within %.0f points of %.2f%%",
				f.Name, metric.Format(1000*r.seconds, metric.Ms), metric.Format(1000*r.window, metric.Ms), 100*d.tol, metric.Format(r.level, metric.Ms), 100*RecoveryErrorTolerance, 100*r.errBefore)
		}
		if f.Interrupted {
			c.Reason += " (the run ended before the planned end of the fault; it was stopped then)"
		}
		out = append(out, c)
	}
	return out
}

// degradation compares the window p95 latency during disturbance d with
// the windows before the first disturbance: the ratio of their geometric
// means with a Welch t interval on the log scale.
func degradation(rec *baseline.Record, d disturbance, alpha float64) (Check, bool) {
	e2e, ok := rec.Metrics[metric.E2E]
	if !ok || len(e2e.Windows) != len(rec.Windows) {
		return Check{}, false
	}
	ds := disturbancesOf(rec)
	var pre, during []float64
	var failed, total int64
	for i, w := range rec.Windows {
		v, has := e2e.Windows[i].Stats["p95"]
		switch {
		case phaseOf(w, ds) == PhaseBefore:
			if has && v > 0 {
				pre = append(pre, math.Log(v))
			}
		case w.Start < d.end && w.End > d.start:
			if has && v > 0 {
				during = append(during, math.Log(v))
			}
			failed += w.Failed
			total += w.Failed + w.Succeeded
		}
	}
	if len(pre) < 2 || len(during) < 1 {
		return Check{}, false
	}
	c := Check{Scenario: rec.Scenario, Kind: KindSLO, Verdict: Pass, Name: "fault." + d.name + ".e2e.p95", Metric: metric.E2E, Stat: "p95", Unit: metric.Ms,
		Windows: len(during), Confidence: 1 - alpha}
	mb, md := mstats.Mean(pre), mstats.Mean(during)
	c.Baseline, c.Candidate, c.Change = math.Exp(mb), math.Exp(md), math.Exp(md-mb)-1
	vb := mstats.Variance(pre) / float64(len(pre))
	vd := 0.0
	if len(during) > 1 {
		vd = mstats.Variance(during) / float64(len(during))
	}
	se := math.Sqrt(vb + vd)
	df := float64(len(pre) - 1)
	if len(during) > 1 && vb+vd > 0 {
		df = (vb + vd) * (vb + vd) / (vb*vb/float64(len(pre)-1) + vd*vd/float64(len(during)-1))
	}
	est := stats.Estimate{Effect: md - mb, SE: se, DF: df}
	c.CILow, c.CIHigh = stats.RelChange(est.Lower(alpha)), stats.RelChange(est.Upper(alpha))
	c.Reason = fmt.Sprintf("fault %s: window p95 latency %s during it against %s before (%+.0f%% [%+.0f%%, %+.0f%%])",
		d.name, metric.Format(c.Candidate, metric.Ms), metric.Format(c.Baseline, metric.Ms), 100*c.Change, 100*c.CILow, 100*c.CIHigh)
	if total > 0 {
		c.Reason += fmt.Sprintf("; %d of %d requests failed during it (%.2f%%)", failed, total, 100*float64(failed)/float64(total))
	}
	return c, true
}

// recoverySLO judges an SLO on the recovery metric: "never" breaks any
// limit.
func recoverySLO(rec *baseline.Record, slo SLO) Check {
	c := Check{Scenario: rec.Scenario, Name: slo.Name, Metric: slo.Metric, Stat: metric.ValueStat, Kind: KindSLO, Limit: slo.Limit, Op: slo.Op,
		Baseline: slo.Limit, Gating: true, Unit: metric.Ms, Candidate: math.NaN()}
	ms, never, ok := recoveryValue(rec)
	switch {
	case !ok:
		c.Verdict, c.Gating = Warn, false
		c.Reason = fmt.Sprintf("%s: no measured window before the fault or spike, so the SLO %s could not be checked", slo.Name, slo.Text)
	case never:
		c.Verdict = Fail
		c.Reason = fmt.Sprintf("%s: the service never recovered by the end of the run, which breaks %s", slo.Name, slo.Text)
	default:
		c.Candidate = ms
		c.Verdict = Pass
		c.Reason = fmt.Sprintf("%s = %s meets %s (timed to within one window, %s)", slo.Name, metric.Format(ms, metric.Ms), slo.Text, metric.Format(1000*rec.WindowSeconds, metric.Ms))
		if !slo.Holds(ms) {
			c.Verdict = Fail
			c.Reason = fmt.Sprintf("%s = %s breaks %s (timed to within one window, %s)", slo.Name, metric.Format(ms, metric.Ms), slo.Text, metric.Format(1000*rec.WindowSeconds, metric.Ms))
		}
	}
	return c
}

// faultWarnings says which fault hooks of rec failed: a fault that may not
// have happened, or may still be active.
func faultWarnings(rec *baseline.Record) []string {
	var out []string
	for _, f := range rec.Faults {
		if f.StartError != "" {
			out = append(out, fmt.Sprintf("scenario %s: fault %s: the start hook failed: %s", rec.Scenario, f.Name, f.StartError))
		}
		if f.StopError != "" {
			out = append(out, fmt.Sprintf("scenario %s: fault %s: the stop hook failed, so the fault may still be active: %s", rec.Scenario, f.Name, f.StopError))
		}
	}
	return out
}
