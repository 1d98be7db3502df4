package gate

import (
	"fmt"
	"math"
	"slices"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// Scenario kinds with an analysis of their own.
const (
	scenarioSpike = "spike"
	scenarioSoak  = "soak"
)

// phaseChecks analyses the time course of spike and soak scenarios.
func phaseChecks(rec *baseline.Record, rules Rules) []Check {
	var out []Check
	switch rec.ScenarioKind {
	case scenarioSpike:
		if rec.Spike != nil {
			out = append(spikeChecks(rec), autoscaleChecks(rec)...)
		}
	case scenarioSoak:
		out = soakChecks(rec, rules)
	}
	return append(out, faultChecks(rec, rules)...)
}

// RecoveryTolerance is how close to its level before a spike the window p95
// latency must come back for the service to count as recovered (+10%).
const RecoveryTolerance = 0.10

// spikeChecks reports how the service took a spike: the p95 latency and the
// error rate during the spike against the windows before it, and the time
// from the end of the spike to the first window back within
// RecoveryTolerance of the level before it. They are informational; a
// service that did not recover before the run ended warns.
func spikeChecks(rec *baseline.Record) []Check {
	sp := rec.Spike
	e2e, ok := rec.Metrics["e2e"]
	if !ok {
		return nil
	}
	end := sp.AtSeconds + sp.HoldSeconds
	var pre []float64
	peak := math.NaN()
	var spikeFailed, spikeTotal int64
	for i, w := range rec.Windows {
		v, has := e2e.Windows[i].Stats["p95"]
		switch {
		case w.End <= sp.AtSeconds:
			if has {
				pre = append(pre, v)
			}
		case w.Start < end:
			if has && (math.IsNaN(peak) || v > peak) {
				peak = v
			}
			spikeFailed += w.Failed
			spikeTotal += w.Failed + w.Succeeded
		}
	}
	base := Check{Scenario: rec.Scenario, Kind: KindSLO, Gating: false, Verdict: Pass}
	if len(pre) == 0 || math.IsNaN(peak) {
		c := base
		c.Name, c.Metric, c.Stat, c.Verdict = "spike.recovery", "spike", "recovery", Warn
		c.Reason = "spike: no measured window before or during the spike; make warmup and at long enough to compare"
		return []Check{c}
	}
	level := median(pre)
	recovered := -1.0
	// The spike's own disturbance (its faults, if any, are reported apart).
	if r := recoveryOf(rec, disturbance{name: "spike", start: sp.AtSeconds, end: end, tol: RecoveryTolerance}); r.recovered {
		recovered = r.seconds
	}
	var out []Check
	c := base
	c.Name, c.Metric, c.Stat, c.Unit = "spike.e2e.p95", "e2e", "p95", "ms"
	c.Baseline, c.Candidate = level, peak
	c.Reason = fmt.Sprintf("spike ×%.3g: window p95 latency peaked at %s against %s before it (%+.0f%%)", sp.Factor, metric.Format(peak, metric.Ms), metric.Format(level, metric.Ms), 100*(peak/level-1))
	out = append(out, c)
	if spikeTotal > 0 {
		e := base
		e.Name, e.Metric, e.Stat, e.Unit = "spike.error_rate", "error_rate", "value", "ratio"
		e.Candidate, e.Samples = float64(spikeFailed)/float64(spikeTotal), spikeTotal
		e.Reason = fmt.Sprintf("spike: %d of %d requests failed during the spike (%.2f%%)", spikeFailed, spikeTotal, 100*e.Candidate)
		out = append(out, e)
	}
	r := base
	r.Name, r.Metric, r.Stat, r.Unit = "spike.recovery", "recovery", "value", "ms"
	if recovered < 0 {
		r.Verdict = Warn
		r.Candidate = math.NaN()
		r.Reason = fmt.Sprintf("spike: p95 latency did not come back within %.0f%% of its level before the spike by the end of the run", 100*RecoveryTolerance)
	} else {
		r.Candidate = 1000 * recovered
		r.Reason = fmt.Sprintf("spike: recovered %s after the spike ended (the first window from then with p95 latency within %.0f%% of its level before and error rate within %.0f points; to within one window)", metric.Format(1000*recovered, metric.Ms), 100*RecoveryTolerance, 100*RecoveryErrorTolerance)
	}
	return append(out, r)
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// soakChecks looks for trends over a soak: the median latency and, when
// scraped, the server's resident memory (a leak detector). Each is a
// least-squares line through the log of the window values; the growth over
// the run and its interval come from the slope's t interval. A trend
// confidently above the negligible change fails; one above it at the point
// estimate only warns.
func soakChecks(rec *baseline.Record, rules Rules) []Check {
	var out []Check
	for _, t := range []struct{ metric, stat string }{{"e2e", "p50"}, {"server.rss_bytes", "mean"}} {
		m, ok := rec.Metrics[t.metric]
		if !ok || len(m.Windows) != len(rec.Windows) {
			continue
		}
		var xs, ys []float64
		for i, w := range m.Windows {
			if v, ok := w.Stats[t.stat]; ok && v > 0 {
				xs = append(xs, (rec.Windows[i].Start+rec.Windows[i].End)/2)
				ys = append(ys, math.Log(v))
			}
		}
		c := Check{Scenario: rec.Scenario, Name: t.metric + "." + t.stat + ".trend", Metric: t.metric, Stat: t.stat,
			Kind: KindRegression, Mode: "trend", Unit: m.Unit, Gating: true, Windows: len(xs)}
		if len(xs) < 4 {
			c.Gating, c.Verdict = false, Warn
			c.Reason = fmt.Sprintf("%s trend: only %d windows; a soak needs at least 4", c.Name, len(xs))
			out = append(out, c)
			continue
		}
		slope, se := olsSlope(xs, ys)
		span := xs[len(xs)-1] - xs[0]
		est := stats.Estimate{Effect: slope * span, SE: se * span, DF: float64(len(xs) - 2)}
		neg := stats.LogChange(rules.Negligible)
		lcb, ucb := est.Lower(rules.Alpha), est.Upper(rules.Alpha)
		c.Baseline, c.Candidate = math.Exp(ys[0]), math.Exp(ys[len(ys)-1])
		c.Change, c.CILow, c.CIHigh, c.Confidence = stats.RelChange(est.Effect), stats.RelChange(lcb), stats.RelChange(ucb), 1-rules.Alpha
		c.PValue = est.PExceeds(neg)
		what := fmt.Sprintf("%s grew %+.1f%% [%+.1f%%, %+.1f%%] over %.0f s of soak", t.metric+"."+t.stat, 100*c.Change, 100*c.CILow, 100*c.CIHigh, span)
		switch {
		case lcb > neg:
			c.Verdict = Fail
			c.Reason = what + fmt.Sprintf(": a significant upward trend beyond the negligible %+.0f%%", 100*rules.Negligible)
			if t.metric == "server.rss_bytes" {
				c.Reason += " (a memory leak?)"
			}
		case est.Effect > neg:
			c.Verdict, c.ReasonKind = Warn, ReasonSmallRegression
			c.Reason = what + ": upward, but not significant"
		default:
			c.Verdict = Pass
			c.Reason = what + ": no trend beyond the negligible change"
		}
		out = append(out, c)
	}
	return out
}

// olsSlope fits y = a + b·x by least squares and returns b and its
// standard error.
func olsSlope(x, y []float64) (b, se float64) {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxx, sxy float64
	for i := range x {
		sxx += (x[i] - mx) * (x[i] - mx)
		sxy += (x[i] - mx) * (y[i] - my)
	}
	if sxx == 0 {
		return 0, math.Inf(1)
	}
	b = sxy / sxx
	a := my - b*mx
	var rss float64
	for i := range x {
		r := y[i] - a - b*x[i]
		rss += r * r
	}
	return b, math.Sqrt(rss / (n - 2) / sxx)
}
