package gate

import (
	"errors"
	"fmt"
	"math"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// paired compares the two arms of a paired (duet) run window by window:
// the mean of the per-window log-ratios, with τ² from the A/A runs
// (docs/statistics.md). When the windows hold too few values above a
// percentile, it compares the pooled percentiles instead, with a paired
// delete-one-window jackknife for their within-run error.
type paired struct {
	cand, ref *baseline.Record
	sign      float64 // -1 for higher-is-better metrics, so positive is worse
	aa        aaStats
	th        logThresholds
}

func (p paired) compare(c *Check) (estimate, error) {
	cs, err1 := seriesOf(p.cand, c.Metric, c.Stat)
	bs, err2 := seriesOf(p.ref, c.Metric, c.Stat)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	c.Unit, c.Candidate, c.Baseline, c.Samples = cs.unit, cs.pooled, bs.pooled, cs.pooledCount
	d, pooled, err := pairedDiffs(cs, bs, p.sign)
	var few tooFewError
	if errors.As(err, &few) && p.sign > 0 && cs.hists[0] != "" && bs.hists[0] != "" {
		return p.compareOrderStat(c, cs, bs)
	}
	if err != nil {
		return nil, err
	}
	c.Windows = len(d)
	if pooled {
		return p.comparePooled(c, cs, bs)
	}
	// Welch-Satterthwaite degrees of freedom: min(W-1, N_AA-1) ignores
	// that the within-run part of the variance is known to W-1 degrees of
	// freedom, and the evaluation (docs/evaluation.md) shows it costs
	// power with no gain in false alarms.
	trim := TrimFor(c.Stat)
	pr, err := stats.Paired(stats.PairedInput{D: d, Tau2: p.aa.tau2, NAA: p.aa.n, PriorTau2: p.aa.prior2, DF: stats.DFWelch, Trim: trim})
	if err != nil {
		return nil, fmt.Errorf("paired estimate: %w", err)
	}
	est := p.th.estimate(pr.Estimate)
	c.Noise = pairedNoise(pr, p.aa)
	if total := p.aa.totalFor(len(d)); trim > 0 && p.aa.n >= stats.MinAARuns && total > est.SE*est.SE {
		// A trimmed mean's within-run error, estimated from the windows of
		// one run, can come out small when no window happened to stall:
		// it is not let below the spread of the A/A runs' own estimates,
		// the whole null variance of this comparison.
		est.SE, est.DF = math.Sqrt(total), math.Min(est.DF, p.aa.totalDF())
	}
	addPairedWarnings(c, pr, p.aa)
	shifted := make([]float64, len(d))
	for i, x := range d {
		shifted[i] = x - p.th.neg
	}
	if sr, err := stats.SignedRank(shifted); err == nil {
		est.wilcoxonP, est.wilcoxonN = sr.PGreater, sr.N
	}
	return est, nil
}

// comparePooled estimates the change of the pooled statistic, for windows
// with too few tail values.
func (p paired) comparePooled(c *Check, cs, bs *series) (estimate, error) {
	effect, se, n, err := pooledPaired(cs, bs, p.sign)
	if err != nil {
		return nil, err
	}
	c.Warnings = append(c.Warnings, fmt.Sprintf("%s has too few values per window for %s: pooled over windows", c.Metric, c.Stat))
	if p.aa.n >= stats.MinAARuns {
		// The jackknife of a pooled percentile is itself noisy (it is not
		// a consistent estimator for quantiles: one stalled window makes
		// it explode), so splitting the A/A variance into within and
		// between parts, or adding this run's jackknife, is unreliable
		// here: the spread of the A/A runs' own pooled estimates is the
		// null variance of this comparison, used whole. It is not let
		// below this run's own jackknife plus τ̂², though: a stall in one
		// arm of this run moves its pooled tail more than five or ten A/A
		// runs that did not stall can show (1.7% false fails in 300 A/A
		// runs with 5 records, docs/evaluation.md), and there the
		// jackknife, dominated by the stalled window, is large.
		c.Noise = learnedNoise(p.aa)
		total := p.aa.totalFor(n)
		est := stats.Estimate{Effect: effect, SE: math.Sqrt(total), DF: p.aa.totalDF()}
		if own := se*se + p.aa.tau2; own > total {
			est.SE, est.DF = math.Sqrt(own), stats.WelchDF(se*se, float64(n-1), p.aa.tau2, stats.BetweenDF(p.aa.n))
		}
		return p.th.estimate(est), nil
	}
	pr := pairedWithSE(effect, se, n, p.aa)
	c.Noise = pairedNoise(pr, p.aa)
	addPairedWarnings(c, pr, p.aa)
	return p.th.estimate(pr.Estimate), nil
}

// pairedDiffs returns the per-window signed log-ratios of two aligned
// series. pooled is true when the windows have too few tail values for the
// statistic but the pooled sample has enough: the caller then estimates
// on the pooled statistic.
func pairedDiffs(cs, bs *series, sign float64) (d []float64, pooled bool, err error) {
	n := min(len(cs.values), len(bs.values))
	if n < 2 {
		return nil, false, fmt.Errorf("only %d paired windows (needs 2)", n)
	}
	if cs.windowsTailOK() && bs.windowsTailOK() {
		for i := 0; i < n; i++ {
			d = append(d, sign*math.Log(cs.values[i]/bs.values[i]))
		}
		return d, false, nil
	}
	if _, isPct := metric.Quantile(cs.stat); isPct {
		if metric.EnoughTail(cs.stat, cs.pooledCount) && metric.EnoughTail(cs.stat, bs.pooledCount) && cs.hists[0] != "" {
			return nil, true, nil
		}
		return nil, false, tooFewErr(min(cs.pooledCount, bs.pooledCount), cs.stat)
	}
	for i := 0; i < n; i++ {
		if cs.values[i] > 0 && bs.values[i] > 0 {
			d = append(d, sign*math.Log(cs.values[i]/bs.values[i]))
		}
	}
	if len(d) < 2 {
		return nil, false, fmt.Errorf("fewer than 2 windows with values in both arms")
	}
	return d, false, nil
}

// pooledPaired estimates the signed log-ratio of the pooled statistic of
// two aligned series and its within-run standard error by a paired
// delete-one-window jackknife over the n windows both have.
func pooledPaired(cs, bs *series, sign float64) (effect, se float64, n int, err error) {
	ch, err1 := cs.decodedHists()
	bh, err2 := bs.decodedHists()
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, 0, err
	}
	n = min(len(ch), len(bh))
	_, scale := metric.RecordScale(cs.metric)
	effect = sign * math.Log(cs.pooled/bs.pooled)
	_, se, err = stats.Jackknife(n, func(excl int) float64 {
		return sign * math.Log(leaveOneOut(ch[:n], excl, cs.stat, scale)/leaveOneOut(bh[:n], excl, cs.stat, scale))
	})
	if err != nil || math.IsNaN(se) || math.IsNaN(effect) || math.IsInf(effect, 0) {
		return 0, 0, 0, fmt.Errorf("the pooled estimate of %s.%s failed", cs.metric, cs.stat)
	}
	return effect, se, n, nil
}

// pairedWithSE applies the paired method's τ² and degrees-of-freedom rules
// to an effect whose within-run standard error comes from elsewhere (a
// jackknife, a capacity bracket), by building w window differences with
// the same mean and standard error.
func pairedWithSE(effect, se float64, w int, aa aaStats) stats.PairedResult {
	if w < 2 {
		w = 2
	}
	// Values ±a around effect (one at effect when w is odd) have mean
	// effect and sample standard deviation sd = se·√w.
	sd := se * math.Sqrt(float64(w))
	a := sd
	if w%2 == 0 {
		a = sd * math.Sqrt(float64(w-1)/float64(w))
	}
	d := make([]float64, w)
	for i := range d {
		switch {
		case w%2 == 1 && i == w-1:
			d[i] = effect
		case i%2 == 0:
			d[i] = effect + a
		default:
			d[i] = effect - a
		}
	}
	pr, err := stats.Paired(stats.PairedInput{D: d, Tau2: aa.tau2, NAA: aa.n, PriorTau2: aa.prior2})
	if err != nil {
		return stats.PairedResult{Estimate: stats.Estimate{Effect: effect, SE: math.Sqrt(se*se + aa.tau2), DF: float64(w - 1)}}
	}
	pr.Effect = effect
	pr.SE = math.Sqrt(se*se + pr.Tau2)
	pr.Lag1 = 0
	return pr
}

// tooFewError says that n values are too few for percentile stat.
type tooFewError struct {
	n    int64
	stat string
}

func (e tooFewError) Error() string {
	return fmt.Sprintf("only %d samples, too few for %s (needs %d); informational", e.n, e.stat, metric.MinCount(e.stat))
}

// tooFewErr says that n values are too few for percentile stat.
func tooFewErr(n int64, stat string) error { return tooFewError{n: n, stat: stat} }

// addPairedWarnings adds the caveats of a paired estimate to c and, when
// it rests on the prior τ, what that assumed about the two deployments.
func addPairedWarnings(c *Check, pr stats.PairedResult, aa aaStats) {
	for _, w := range pr.Warnings {
		if pr.PriorUsed && errors.Is(w, stats.WarnNoAA) {
			continue // the assumption below says it, and what was assumed
		}
		c.Warnings = append(c.Warnings, w.Error())
	}
	if pr.PriorUsed {
		c.Warnings = append(c.Warnings, priorAssumption(pr.Tau2, aa.policyPrior))
	}
}

// priorAssumption says what an uncalibrated check assumed about the
// difference between the two deployments.
func priorAssumption(tau2 float64, fromPolicy bool) string {
	if fromPolicy {
		return fmt.Sprintf("not calibrated: assumed the two deployments differ by τ = %.3f, the policy's regression.prior_tau; stored A/A runs (perfgate calibrate) replace the assumption", math.Sqrt(tau2))
	}
	return fmt.Sprintf("not calibrated: assumed the two deployments differ as much as pods whose speeds differ by 5%% (τ = %.2f through queueing), so only a change beyond that can fail; stored A/A runs (perfgate calibrate) replace the assumption and narrow the interval", math.Sqrt(tau2))
}
