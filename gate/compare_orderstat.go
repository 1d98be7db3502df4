package gate

import (
	"errors"
	"fmt"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// fallbackQuantiles are the quantiles below its own that a percentile check
// with too few samples may be judged on, highest first, when even the
// order-statistic bound of its own quantile does not exist at its level.
var fallbackQuantiles = []float64{0.99, 0.95, 0.9, 0.75, 0.5}

// orderStatChange is the change of a percentile in a paired run whose arms
// hold too few values for a precise estimate (fewer than
// metric.MinTailSamples above it): a wide but valid interval from order
// statistics, which needs no assumption about the latency distribution.
// The candidate's quantile is bounded from below and the baseline's from
// above by order statistics (stats.OrderStatRanks, half of the check's
// level split between them), and the between-deployment spread τ takes
// the other half. It can FAIL when even that bound is above the negligible
// change; otherwise the check stays informational, as it says.
type orderStatChange struct {
	cand, base *hdrhistogram.Histogram
	q          float64 // the check's own quantile
	stat       string
	neg        float64
	// tau and tauDF are the between-deployment spread and the degrees of
	// freedom of its t quantile (stats.BetweenDF, or stats.TailDF for
	// the prior; 0 would mean the normal quantile).
	tau, tauDF float64
	tauNote    string
}

// holmP keeps the check out of Holm's step-down: it has no p-value, only
// bounds at a level, so it is judged at the Bonferroni level.
func (o *orderStatChange) holmP() (float64, bool) { return math.NaN(), false }

func (o *orderStatChange) judge(c *Check, alpha float64, _ bool) error {
	n, m := int(o.base.TotalCount()), int(o.cand.TotalCount())
	need := metric.MinCount(o.stat)
	aSample, aTau := alpha/2, alpha/2
	q, k, j, ok := 0.0, 0, 0, false
	for _, fq := range append([]float64{o.q}, fallbackQuantiles...) {
		if fq > o.q {
			continue
		}
		if k, j, ok = stats.OrderStatRanks(n, m, fq, aSample); ok {
			q = fq
			break
		}
	}
	if !ok {
		return fmt.Errorf("only %d and %d samples, too few for %s (needs %d), and even for a distribution-free bound of the median at %.3g%%; informational", m, n, o.stat, need, 100*(1-alpha))
	}
	zt := stats.NormalQuantile(1 - aTau)
	if o.tauDF > 0 {
		zt = stats.TQuantile(o.tauDF, 1-aTau)
	}
	margin := zt * o.tau
	lcb := logRatio(rankValue(o.cand, j, false), rankValue(o.base, k, true), math.Inf(-1)) - margin
	ucb := math.Inf(1)
	if k2, j2, ok2 := stats.OrderStatRanks(m, n, q, aSample); ok2 {
		ucb = logRatio(rankValue(o.cand, k2, true), rankValue(o.base, j2, false), math.Inf(1)) + margin
	}
	est := stats.Estimate{Effect: math.Log(c.Candidate / c.Baseline)}
	fillInterval(c, est, lcb, ucb, 1-alpha)
	c.MDE = 0
	judged := "the " + o.stat
	if q != o.q {
		judged = fmt.Sprintf("the p%g, as %d samples cannot bound a %s at %.3g%%", 100*q, n, o.stat, 100*(1-alpha))
	}
	what := fmt.Sprintf("%s: only %d and %d samples (a precise %s needs %d); distribution-free bounds of %s, and %s between deployments",
		formatChange(c), m, n, o.stat, need, judged, o.tauNote)
	neg := fmt.Sprintf("negligible %+.1f%%", 100*stats.RelChange(o.neg))
	if lcb > o.neg {
		c.Verdict = Fail
		c.Reason = fmt.Sprintf("%s %s: lower bound %+.1f%% > %s", c.Name, what, 100*stats.RelChange(lcb), neg)
		return nil
	}
	return fmt.Errorf("%s; informational, as the lower bound does not clear the %s", what, neg)
}

// logRatio returns ln(a/b), or none when either is not a positive number
// (an empty bucket at zero bounds nothing).
func logRatio(a, b, none float64) float64 {
	if !(a > 0 && b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return none
	}
	return math.Log(a / b)
}

// rankValue returns the r-th smallest value (1-based) of h in the metric's
// recorded unit: the lowest value its histogram bucket may hold, or with
// high the highest, so that HDR's rounding never tightens a bound.
func rankValue(h *hdrhistogram.Histogram, r int, high bool) float64 {
	var seen int64
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		seen += b.Count
		if seen >= int64(r) {
			if high {
				return float64(b.To)
			}
			return float64(b.From)
		}
	}
	return math.NaN()
}

// compareOrderStat judges a percentile whose pooled samples are too few
// for its paired estimate (see orderStatChange). τ is the spread of the
// A/A runs' own pooled comparisons once there are enough of them, else the
// larger of the learned value and the prior, as for every paired check.
func (p paired) compareOrderStat(c *Check, cs, bs *series) (estimate, error) {
	q, _ := metric.Quantile(c.Stat)
	ch, err1 := cs.decodedHists()
	bh, err2 := bs.decodedHists()
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	cand, base := mergeHists(ch, -1), mergeHists(bh, -1)
	if cand == nil || base == nil || cand.TotalCount() == 0 || base.TotalCount() == 0 {
		return nil, tooFewErr(min(cs.pooledCount, bs.pooledCount), c.Stat)
	}
	o := &orderStatChange{cand: cand, base: base, q: q, stat: c.Stat, neg: p.th.neg}
	switch {
	case p.aa.n >= stats.MinAARuns:
		o.tau, o.tauDF = math.Sqrt(p.aa.total), stats.BetweenDF(p.aa.n)
		o.tauNote = fmt.Sprintf("τ = %.3f from %d A/A runs", o.tau, p.aa.n)
	default:
		o.tau, o.tauDF = math.Sqrt(max(p.aa.priorOrDefault(), p.aa.learned())), stats.TailDF
		o.tauNote = fmt.Sprintf("τ = %.3f assumed (%d A/A runs)", o.tau, p.aa.n)
	}
	return o, nil
}
