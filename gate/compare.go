package gate

import (
	"math"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// A comparator estimates the change of one gating check between this run
// and its baseline, in one way: paired arms window by window (paired), a
// paired capacity (capacityPaired), stored runs (history), error
// proportions (proportion), or nothing to compare with (noBaseline). Each
// lives in its own file; adding a way to compare is adding a type.
//
// compare fills the check's measured values (unit, candidate and baseline
// values, samples, windows, stored runs, warnings) and returns the estimate
// that decide judges, or an error saying why the check cannot be judged:
// the check is then informational and never fails the gate.
type comparator interface {
	compare(c *Check) (estimate, error)
}

// modeOf returns the comparison mode of rec: paired when it carries its
// live baseline arm, history when stored runs of the base branch exist,
// else none. It is the one place the mode of a check is chosen.
func modeOf(rec *baseline.Record, history []*baseline.Record) string {
	switch {
	case rec.Reference != nil:
		return ModePaired
	case len(history) > 0:
		return ModeHistory
	}
	return ModeNone
}

// comparatorFor returns the comparator of check c of rec in mode, given
// the scenario's stored runs (at most rules.History of them) and what its
// A/A runs say about the check.
func comparatorFor(c *Check, mode string, rec *baseline.Record, history []*baseline.Record, aa aaStats, rules Rules) comparator {
	th := logThresholds{neg: stats.LogChange(rules.Negligible), mat: stats.LogChange(rules.Material)}
	sign := 1.0
	if c.HigherIsBetter {
		// A throughput drop is a positive (worse) log-ratio.
		sign = -1
	}
	switch {
	case c.Metric == metric.ErrorRate:
		p := proportion{rec: rec, neg: rules.ErrorRateNegligible, mat: rules.ErrorRateMaterial, family: rules.Alpha}
		switch mode {
		case ModePaired:
			p.baseline = []*baseline.Record{rec.Reference}
		case ModeHistory:
			p.baseline, p.history = history, true
		}
		return p
	case mode == ModePaired && c.Metric == metric.Capacity:
		return capacityPaired{cand: rec, ref: rec.Reference, sign: sign, aa: aa, th: th}
	case mode == ModePaired:
		return paired{cand: rec, ref: rec.Reference, sign: sign, aa: aa, th: th}
	case mode == ModeHistory:
		return historyComparator{rec: rec, history: history, sign: sign, th: th}
	}
	return noBaseline{rec: rec, alpha: rules.Alpha}
}

// regression is a gating check on its way to a verdict: the check and the
// comparator's estimate of its change (nil when it cannot be judged).
type regression struct {
	check Check
	est   estimate
}

// compareCheck builds the regression check of gating check name of rec.
func compareCheck(rec *baseline.Record, name string, history []*baseline.Record, aa aaStats, rules Rules) *regression {
	m, stat := metric.SplitName(name)
	nan := math.NaN() // a value no comparator filled in does not exist
	r := &regression{check: Check{
		Scenario: rec.Scenario, Name: name, Metric: m, Stat: stat, Kind: KindRegression,
		HigherIsBetter: metric.HigherIsBetter(m), Gating: true,
		Baseline: nan, Candidate: nan, Change: nan, CILow: nan, CIHigh: nan,
	}}
	if len(history) > rules.History {
		history = history[:rules.History]
	}
	c := &r.check
	c.Mode = modeOf(rec, history)
	est, err := comparatorFor(c, c.Mode, rec, history, aa, rules).compare(c)
	if err == nil {
		if err = followedSchedule(rec, name, armsOf(rec, c.Mode, history), rules.Negligible); err != nil {
			c.Warnings = nil // the comparison's caveats do not matter to a check that cannot move
		}
	}
	if err != nil {
		notJudged(c, err)
		return r
	}
	r.est = est
	return r
}

// armsOf returns the records a check of rec in mode compares: this run and
// its live baseline, or this run and the stored runs.
func armsOf(rec *baseline.Record, mode string, history []*baseline.Record) []*baseline.Record {
	switch mode {
	case ModePaired:
		return []*baseline.Record{rec, rec.Reference}
	case ModeHistory:
		return append([]*baseline.Record{rec}, history...)
	}
	return nil
}

// notJudged makes c informational, saying why. Its change is still the
// change of its values when both were measured: shown, not judged.
func notJudged(c *Check, why error) {
	c.Gating = false
	c.Verdict, c.ReasonKind, c.Noise = Warn, ReasonInformational, nil
	c.Reason = c.Name + ": " + why.Error()
	if !math.IsNaN(c.Change) || math.IsNaN(c.Baseline+c.Candidate) || math.IsInf(c.Baseline+c.Candidate, 0) {
		return
	}
	switch {
	case c.Metric == metric.ErrorRate:
		c.Change = c.Candidate - c.Baseline
	case c.Baseline > 0 && c.Candidate > 0:
		c.Change = c.Candidate/c.Baseline - 1
	}
}

// logThresholds are the negligible and material changes on the log scale,
// ln(1+δ) and ln(1+Δ).
type logThresholds struct{ neg, mat float64 }

// estimate returns e as a log-scale change judged against th, with no
// signed-rank cross-check.
func (th logThresholds) estimate(e stats.Estimate) *logChange {
	return &logChange{Estimate: e, logThresholds: th, wilcoxonP: math.NaN()}
}
