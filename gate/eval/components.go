package eval

import (
	"math"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// Component is the decomposition of a gating check's paired A/A noise over
// the pool: what a single paired run can and cannot average away.
type Component struct {
	Check string
	// Pairs is the number of A/A pairs it rests on.
	Pairs int
	// SDMean is the standard deviation of the mean window log-ratio d̄ over
	// the A/A pairs: the total noise of a paired estimate.
	SDMean float64
	// WithinSE is the root mean of s_d²/W, the part of that noise the
	// windows of one run see.
	WithinSE float64
	// Tau is τ̂ = sqrt(max(0, SDMean² − WithinSE²)): the between-deployment
	// part, which no statistic of a single run removes.
	Tau float64
	// Lag1 is the mean lag-1 autocorrelation of the window log-ratios.
	Lag1 float64
}

// Components computes, per gating check, the noise components of a paired
// A/A run from the pool, on per-window statistics with the gate's own
// estimator (trimmed means for tail percentiles; for a p95 over windows of
// fewer than 200 requests this is a diagnostic: the gate itself then
// compares pooled percentiles).
func (b *Bench) Components() ([]Component, error) {
	if err := b.Prepare(1, nil); err != nil {
		return nil, err
	}
	var out []Component
	for _, check := range Gate {
		metric, stat := metric.SplitName(check)
		k := 0
		if scenarioOf(check) == ScenarioSaturation {
			k = 1
		}
		var sums []stats.PairedSummary
		var lag float64
		for _, p := range b.aa {
			d := windowLogRatios(p[k], p[k].Reference, metric, stat)
			s, err := stats.SummarizeTrimmed(d, gate.TrimFor(stat))
			if err != nil {
				continue
			}
			sums = append(sums, s)
			lag += stats.Lag1(d)
		}
		c := Component{Check: check, Pairs: len(sums)}
		if len(sums) >= 2 {
			var means []float64
			var within float64
			for _, s := range sums {
				means = append(means, s.Mean)
				within += s.SD * s.SD / float64(s.W)
			}
			c.SDMean = sd(means)
			c.WithinSE = math.Sqrt(within / float64(len(sums)))
			tau2, _, _ := stats.TauSquared(sums)
			c.Tau = math.Sqrt(tau2)
			c.Lag1 = lag / float64(len(sums))
		}
		out = append(out, c)
	}
	return out, nil
}

// windowLogRatios returns ln(a_w/b_w) of metric.stat per window where both
// are positive.
func windowLogRatios(a, b *baseline.Record, metric, stat string) []float64 {
	ma, mb := a.Metrics[metric], b.Metrics[metric]
	if ma == nil || mb == nil {
		return nil
	}
	var d []float64
	for i := range min(len(ma.Windows), len(mb.Windows)) {
		x, y := ma.Windows[i].Stats[stat], mb.Windows[i].Stats[stat]
		if x > 0 && y > 0 {
			d = append(d, math.Log(x/y))
		}
	}
	return d
}

func sd(x []float64) float64 {
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return math.Sqrt(ss / float64(len(x)-1))
}
