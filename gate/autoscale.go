package gate

import (
	"fmt"
	"math"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// replicasMetric is the record metric of the replicas server series.
const replicasMetric = metric.ServerPrefix + metric.ReplicasSeries

// scaleUp is how a deployment scaled in a spike scenario.
type scaleUp struct {
	before, peak float64 // replicas before the spike (the most seen), and the most seen after its start
	// seconds is the time from the start of the spike to the start of the
	// first window whose replicas exceed those before it; rose is false
	// when none did.
	seconds float64
	rose    bool
}

// scaleUpOf times the scale-up of a spike record from its replicas
// series; ok is false without a spike, the series, or a window before the
// spike that scraped it.
func scaleUpOf(rec *baseline.Record) (s scaleUp, ok bool) {
	m := rec.Metrics[replicasMetric]
	if rec.Spike == nil || m == nil || len(m.Windows) != len(rec.Windows) {
		return s, false
	}
	at := rec.Spike.AtSeconds
	seen := false
	for i, w := range rec.Windows {
		v, has := m.Windows[i].Stats["max"]
		if !has || m.Windows[i].Count == 0 {
			continue
		}
		if w.End <= at {
			s.before, seen = math.Max(s.before, v), true
			continue
		}
		if !seen {
			return s, false
		}
		s.peak = math.Max(s.peak, v)
		if !s.rose && v > s.before {
			s.seconds, s.rose = math.Max(0, w.Start-at), true
		}
	}
	return s, seen
}

// scaleUpValue is the scale_up metric of rec in ms (timingGate).
func scaleUpValue(rec *baseline.Record) (ms float64, never, ok bool) {
	s, ok := scaleUpOf(rec)
	return 1000 * s.seconds, !s.rose, ok
}

// sufferedOf counts the requests of a spike record, from the start of the
// spike until the service recovered (the end of the run if it did not),
// that failed or took longer than the p95 latency before the spike plus
// RecoveryTolerance; total is all requests completed in that time.
func sufferedOf(rec *baseline.Record) (suffered, total int64, ok bool) {
	if rec.Spike == nil {
		return 0, 0, false
	}
	sp := disturbance{name: "spike", start: rec.Spike.AtSeconds, end: rec.Spike.AtSeconds + rec.Spike.HoldSeconds, tol: RecoveryTolerance}
	ds := []disturbance{sp}
	r := recoveryOf(rec, sp)
	if !r.measurable {
		return 0, 0, false
	}
	until := math.Inf(1)
	if r.recovered {
		until = ds[0].end + r.seconds
	}
	limitUS := r.level * (1 + ds[0].tol) * 1000
	e2e := rec.Metrics[metric.E2E]
	for i, w := range rec.Windows {
		if w.End <= ds[0].start || w.Start >= until {
			continue
		}
		suffered += w.Failed
		total += w.Failed + w.Succeeded
		if e2e == nil || i >= len(e2e.Windows) || e2e.Windows[i].Hist == "" {
			continue
		}
		h, err := baseline.DecodeHist(e2e.Windows[i].Hist)
		if err != nil {
			continue
		}
		for _, b := range h.Distribution() {
			if float64(b.From) > limitUS {
				suffered += b.Count
			}
		}
	}
	return suffered, total, total > 0
}

// autoscaleSLO judges an SLO on scale_up (never reached breaks any limit)
// or suffered.
func autoscaleSLO(rec *baseline.Record, slo SLO) Check {
	c := Check{Scenario: rec.Scenario, Name: slo.Name, Metric: slo.Metric, Stat: metric.ValueStat, Kind: KindSLO, Limit: slo.Limit, Op: slo.Op,
		Baseline: slo.Limit, Gating: true, Unit: slo.Unit, Candidate: math.NaN()}
	judge := func(v float64, what string) {
		c.Candidate, c.Verdict = v, Pass
		c.Reason = fmt.Sprintf("%s = %s meets %s%s", slo.Name, metric.Format(v, c.Unit), slo.Text, what)
		if !slo.Holds(v) {
			c.Verdict = Fail
			c.Reason = fmt.Sprintf("%s = %s breaks %s%s", slo.Name, metric.Format(v, c.Unit), slo.Text, what)
		}
	}
	if slo.Metric == metric.ScaleUp {
		c.Unit = metric.Ms
		s, ok := scaleUpOf(rec)
		switch {
		case !ok:
			c.Verdict, c.Gating = Warn, false
			c.Reason = fmt.Sprintf("%s: no server.%s series scraped before the spike, so the SLO %s could not be checked", slo.Name, metric.ReplicasSeries, slo.Text)
		case !s.rose:
			c.Verdict = Fail
			c.Reason = fmt.Sprintf("%s: the replicas never rose above %g during or after the spike, which breaks %s", slo.Name, s.before, slo.Text)
		default:
			judge(1000*s.seconds, fmt.Sprintf(" (replicas %g → %g; timed to within one window, %s)", s.before, s.peak, metric.Format(1000*rec.WindowSeconds, metric.Ms)))
		}
		return c
	}
	c.Unit = metric.Ratio
	n, total, ok := sufferedOf(rec)
	if !ok {
		c.Verdict, c.Gating = Warn, false
		c.Reason = fmt.Sprintf("%s: no request or no window before the spike to compare with, so the SLO %s could not be checked", slo.Name, slo.Text)
		return c
	}
	c.Samples = total
	judge(float64(n)/float64(total), fmt.Sprintf(" (%d of %d requests failed or were slower than before the spike)", n, total))
	return c
}

// autoscaleChecks reports how a spike scenario with a replicas series
// scaled: informational.
func autoscaleChecks(rec *baseline.Record) []Check {
	s, ok := scaleUpOf(rec)
	if !ok {
		return nil
	}
	c := Check{Scenario: rec.Scenario, Name: "spike.scale_up", Metric: metric.ScaleUp, Stat: metric.ValueStat, Kind: KindSLO, Unit: metric.Ms,
		Verdict: Pass, Baseline: math.NaN(), Candidate: math.NaN()}
	if !s.rose {
		c.Verdict = Warn
		c.Reason = fmt.Sprintf("spike: the replicas never rose above %g", s.before)
	} else {
		c.Candidate = 1000 * s.seconds
		c.Reason = fmt.Sprintf("spike: replicas rose from %g to %g, %s after the spike started (to within one window, %s)", s.before, s.peak, metric.Format(c.Candidate, metric.Ms), metric.Format(1000*rec.WindowSeconds, metric.Ms))
	}
	if n, total, ok := sufferedOf(rec); ok {
		c.Reason += fmt.Sprintf("; %d of %d requests from the spike until recovery failed or were slower than before it (%.1f%%)", n, total, 100*float64(n)/float64(total))
	}
	return []Check{c}
}
