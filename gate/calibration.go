package gate

import (
	"fmt"
	"math"
	"time"

	mstats "github.com/aclements/go-moremath/stats"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// Calibration is what the stored A/A runs (the same commit on both arms of
// a paired run) say about the noise of each gating check, per scenario: the
// between-deployment variance τ² of paired comparisons is learned from it.
//
// Build it once with LearnCalibration and pass the same value to every
// Evaluate over the same A/A runs: summarizing a run decodes its window
// histograms, the costly part, and is done when the Calibration is built,
// not when a check reads it. A nil Calibration means no A/A runs: paired
// checks then use the prior τ² (Rules.PriorTau) and say so.
type Calibration map[string][]CalibrationRun

// CalibrationRun is what one A/A run says about each gating check: the
// paired estimate of its change (zero in expectation) and its within-run
// spread, computed as the check itself computes them. A check the run could
// not estimate is absent and the run does not count for it.
type CalibrationRun struct {
	checks map[string]stats.PairedSummary
	Time   time.Time // when the A/A record was made
}

// NewCalibrationRun summarizes the A/A record rec, whose Reference is the
// other arm, for every check in rules.Gate. It fails when rec is not a
// paired record.
func NewCalibrationRun(rec *baseline.Record, rules Rules) (CalibrationRun, error) {
	if rec == nil || rec.Reference == nil {
		return CalibrationRun{}, fmt.Errorf("calibration: a record without a reference arm is not an A/A run")
	}
	run := CalibrationRun{checks: make(map[string]stats.PairedSummary, len(rules.Gate)), Time: rec.Time}
	for _, name := range rules.Gate {
		if sum, ok := aaSummary(rec, name); ok {
			run.checks[name] = sum
		}
	}
	return run, nil
}

// LearnCalibration summarizes, per scenario, the A/A records aa for every
// check in rules.Gate. Records that are not paired are skipped, as they
// say nothing about the noise between two arms.
func LearnCalibration(aa map[string][]*baseline.Record, rules Rules) Calibration {
	if len(aa) == 0 {
		return nil
	}
	cal := make(Calibration, len(aa))
	for scenario, recs := range aa {
		for _, rec := range recs {
			if run, err := NewCalibrationRun(rec, rules); err == nil {
				cal[scenario] = append(cal[scenario], run)
			}
		}
	}
	return cal
}

// aaSummary is the paired estimate of check name in one A/A record: its
// mean log-ratio and within-run spread, as the check itself would compute
// them (window by window, or pooled with a jackknife; for capacity, from
// the search brackets over capacityWindows pseudo-windows).
func aaSummary(rec *baseline.Record, name string) (stats.PairedSummary, bool) {
	m, stat := metric.SplitName(name)
	if m == metric.Capacity {
		effect, se, err := capacityChange(rec, rec.Reference, 1)
		if err != nil {
			return stats.PairedSummary{}, false
		}
		return stats.PairedSummary{Mean: effect, SD: se * math.Sqrt(capacityWindows), W: capacityWindows}, true
	}
	cs, err1 := seriesOf(rec, m, stat)
	bs, err2 := seriesOf(rec.Reference, m, stat)
	if err1 != nil || err2 != nil {
		return stats.PairedSummary{}, false
	}
	d, pooled, err := pairedDiffs(cs, bs, 1)
	switch {
	case err != nil:
		return stats.PairedSummary{}, false
	case pooled:
		effect, se, n, err := pooledPaired(cs, bs, 1)
		if err != nil || n < 2 {
			return stats.PairedSummary{}, false
		}
		return stats.PairedSummary{Mean: effect, SD: se * math.Sqrt(float64(n)), W: n}, true
	}
	sum, err := stats.SummarizeTrimmed(d, TrimFor(stat))
	return sum, err == nil
}

// TailTrim is the share of windows cut from each end of the per-window
// log-ratios of a tail percentile (p90 and above) before averaging them:
// a rare stall lands in one arm's window and moves that window's tail
// far more than a regression does, so the plain mean of twelve windows
// is at the mercy of one or two of them (docs/evaluation.md). Medians and
// throughput keep the plain mean.
const TailTrim = 0.2

// TrimFor returns the share of windows trimmed from each end in the paired
// estimate of stat: TailTrim for p90 and above, else 0.
func TrimFor(stat string) float64 {
	if q, ok := metric.Quantile(stat); ok && q >= 0.9 {
		return TailTrim
	}
	return 0
}

// aaStats is what the A/A runs say about one check, with the prior τ² to
// fall back on when they are too few.
type aaStats struct {
	tau2 float64 // between-deployment variance, method of moments
	n    int     // A/A runs used
	// total is the sample variance of the A/A runs' estimates: the whole
	// null variance of one paired comparison, within-run noise included.
	total float64
	// windows is the mean number of windows of those runs: their
	// within-run share of total is that of runs this long.
	windows float64
	// prior2 is the prior τ² of the check, or of the rules when they set
	// one (0: stats.DefaultPriorTau2); policyPrior says it is the rules'.
	prior2      float64
	policyPrior bool
}

// priorOrDefault returns the prior τ².
func (a aaStats) priorOrDefault() float64 {
	if a.prior2 > 0 {
		return a.prior2
	}
	return stats.DefaultPriorTau2
}

// totalDF returns the degrees of freedom of total, the spread of the A/A
// runs' own estimates of a tail percentile, used whole: stats.BetweenDF, as
// all of it has heavy tails — the deployments', and within a run the
// stalls that one arm's tail catches and the other's does not.
func (a aaStats) totalDF() float64 {
	return stats.BetweenDF(a.n)
}

// learned returns the learned τ², 0 when fewer than 2 A/A runs exist.
func (a aaStats) learned() float64 {
	if a.n < 2 {
		return 0
	}
	return a.tau2
}

// Priors of the between-deployment standard deviation τ of a paired check,
// on the log scale, used until stats.MinAARuns A/A runs exist: what two
// deployments whose speeds differ by a lognormal 5% each show through
// queueing at half load (docs/statistics.md). Tail percentiles move more
// than medians with a deployment's speed (the evaluation measured τ̂ 0.079
// to 0.084 for the p95s against 0.071 for the medians at a 3% shift).
const (
	DefaultPriorTau     = 0.12
	DefaultPriorTauTail = 0.14
)

// PriorTauFor returns the prior τ of gating check name: DefaultPriorTauTail
// for percentiles p90 and above, else DefaultPriorTau.
func PriorTauFor(name string) float64 {
	_, stat := metric.SplitName(name)
	if q, ok := metric.Quantile(stat); ok && q >= 0.9 {
		return DefaultPriorTauTail
	}
	return DefaultPriorTau
}

// aaStatsOf learns what the runs say about check name.
func aaStatsOf(runs []CalibrationRun, name string, rules Rules) aaStats {
	var sums []stats.PairedSummary
	for _, run := range runs {
		if sum, ok := run.checks[name]; ok {
			sums = append(sums, sum)
		}
	}
	a := aaStats{prior2: PriorTauFor(name) * PriorTauFor(name)}
	if rules.PriorTau > 0 {
		a.prior2, a.policyPrior = rules.PriorTau*rules.PriorTau, true
	}
	a.tau2, a.n, _ = stats.TauSquared(sums)
	if len(sums) >= 2 {
		means := make([]float64, len(sums))
		for i, s := range sums {
			means[i] = s.Mean
		}
		a.total = mstats.Variance(means)
		for _, s := range sums {
			a.windows += float64(s.W) / float64(len(sums))
		}
	}
	return a
}

// totalFor returns total for a run of w windows: its within-run share
// (total − τ̂²) scales with the A/A runs' windows over w, as an error of a
// mean over windows does, and τ̂² does not. A run extended by the second
// look (regression.extend) is longer than its A/A runs; without this its
// tail percentiles could not narrow however long it ran.
func (a aaStats) totalFor(w int) float64 {
	if w <= 0 || a.windows <= 0 {
		return a.total
	}
	within := math.Max(0, a.total-a.tau2)
	return math.Min(a.tau2, a.total) + within*a.windows/float64(w)
}
