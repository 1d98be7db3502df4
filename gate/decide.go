package gate

import (
	"fmt"
	"math"
	"strings"

	"github.com/perfgate/perfgate/gate/stats"
)

// An estimate is a comparator's answer about one check: its change and
// the uncertainty of it, judged by decide.
type estimate interface {
	// holmP returns the one-sided p-value of a worsening beyond the
	// negligible change, and false when the estimate is judged at the
	// Bonferroni level instead of joining Holm's step-down.
	holmP() (p float64, ok bool)
	// judge sets c's change, interval, verdict and reason at the
	// per-check level alpha; significant is Holm's decision on it.
	judge(c *Check, alpha float64, significant bool) error
}

// decide gives every judgeable regression check its verdict: Holm's
// step-down at the family level alpha across the log-scale estimates,
// then the three-valued rule on each (FAIL when the lower bound is above
// the negligible change, PASS when the upper bound is below the material
// one, WARN otherwise). Error proportions are judged at the Bonferroni
// level alpha/m over all m judgeable checks, never less strict than Holm.
func decide(regs []*regression, alpha float64) {
	var holm []*regression
	var ps []float64
	m := 0
	for _, r := range regs {
		if r.est == nil {
			continue
		}
		m++
		if p, ok := r.est.holmP(); ok {
			holm = append(holm, r)
			ps = append(ps, p)
		}
	}
	thresholds, reject := stats.HolmStepDown(ps, alpha)
	for _, r := range holm {
		if lc, ok := r.est.(*logChange); ok {
			lc.mdeAlpha = alpha / float64(len(holm))
		}
	}
	for k, r := range holm {
		r.judge(thresholds[k], reject[k])
	}
	for _, r := range regs {
		if r.est == nil {
			continue
		}
		if _, ok := r.est.holmP(); !ok {
			r.judge(alpha/float64(max(m, 1)), true)
		}
	}
}

// judge applies r's estimate to its check; an estimate that cannot be
// judged leaves the check informational.
func (r *regression) judge(alpha float64, significant bool) {
	if err := r.est.judge(&r.check, alpha, significant); err != nil {
		notJudged(&r.check, err)
	}
}

// logChange is an estimate of a relative change on the log scale,
// positive when worse.
type logChange struct {
	stats.Estimate
	logThresholds
	// wilcoxonP is the one-sided signed-rank p-value of "worse than
	// negligible" over the windows; NaN when not computed. wilcoxonN is
	// the number of non-zero window differences it rests on.
	wilcoxonP float64
	wilcoxonN int
	// mdeAlpha is the level the MDE (and the advice) is computed at:
	// Holm's first step α/m, the level at which a check is sure to be
	// judged whatever the other checks' p-values (perfgate plan plans at
	// it too); 0 means the check's own level.
	mdeAlpha float64
}

// crossCheckBlocks reports whether the signed-rank cross-check stands in the way of
// a FAIL at level alpha. It does only when it could have confirmed one: the
// smallest one-sided p-value of the exact test over n differences is 2^-n
// (all positive), so with 4 windows it can never reach 0.05 and its verdict
// says nothing about the change (benchmath's uTestMinP makes the same point
// for Mann-Whitney).
func (e *logChange) crossCheckBlocks(alpha float64) bool {
	return !math.IsNaN(e.wilcoxonP) && e.wilcoxonP > alpha && math.Ldexp(1, -e.wilcoxonN) <= alpha
}

func (e *logChange) holmP() (float64, bool) { return e.PExceeds(e.neg), true }

func (e *logChange) judge(c *Check, alpha float64, significant bool) error {
	lcb, ucb := e.Lower(alpha), e.Upper(alpha)
	out := stats.Decide(lcb, ucb, e.neg, e.mat)
	c.PValue = e.PExceeds(e.neg)
	mdeAlpha := alpha
	if e.mdeAlpha > 0 {
		mdeAlpha = e.mdeAlpha
	}
	c.MDE = stats.RelChange(e.MDE(mdeAlpha, e.neg, 0.95))
	fillInterval(c, e.Estimate, lcb, ucb, 1-alpha)
	c.Reason = explain(c, e.Effect, lcb, ucb, e.neg, e.mat, out)
	switch {
	case out == stats.Fail && !significant:
		out = stats.Warn
		c.ReasonKind = ReasonNotSignificantAfterHolm
		c.Reason += "; not significant after the Holm correction across gating metrics"
	case out == stats.Fail && e.crossCheckBlocks(alpha):
		out = stats.Warn
		c.ReasonKind = ReasonSignedRankDisagrees
		c.Reason += fmt.Sprintf("; the signed-rank cross-check does not confirm it (p=%.3g)", e.wilcoxonP)
	case out == stats.Warn:
		c.ReasonKind = warnKind(e.Effect, lcb, e.neg)
	}
	c.Verdict = outcomeOf(out)
	c.Noise.judged(e.Estimate, mdeAlpha)
	return nil
}

// proportionDiff is the difference of two error proportions, candidate
// minus baseline, judged against absolute thresholds.
type proportionDiff struct {
	failed, total [2]int // candidate, baseline
	neg, mat      float64
	// family is the family level α: ruling out a material increase (PASS)
	// uses it, not the Bonferroni level (see judge).
	family float64
}

func (p *proportionDiff) holmP() (float64, bool) { return math.NaN(), false }

func (p *proportionDiff) judge(c *Check, alpha float64, _ bool) error {
	diff, lo, hi, err := stats.NewcombeDiff(p.failed[0], p.total[0], p.failed[1], p.total[1], 1-2*alpha)
	if err != nil {
		return fmt.Errorf("error rate interval: %w", err)
	}
	c.Change, c.CILow, c.CIHigh, c.Confidence = diff, lo, hi, 1-alpha
	// Holm and Bonferroni guard the family against a false FAIL; a PASS
	// claims instead that a material increase is ruled out, whose error is
	// a missed regression, held per check at the family level like the
	// 95% power of every check's MDE. At the Bonferroni level a clean run
	// of 300 requests a side could never pass (0 of 300 bounds the rate
	// only at 1.8%), so every clean run warned (docs/statistics.md).
	passHi := hi
	if fam := p.family; fam > alpha && fam < 0.5 {
		if _, _, h, err := stats.NewcombeDiff(p.failed[0], p.total[0], p.failed[1], p.total[1], 1-2*fam); err == nil {
			passHi = h
		}
	}
	pp := func(x float64) string { return fmt.Sprintf("%+.2f pp", 100*x) }
	rates := fmt.Sprintf("error_rate %.2f%% vs %.2f%%", 100*c.Candidate, 100*c.Baseline)
	out := stats.Decide(lo, passHi, p.neg, p.mat)
	switch out {
	case stats.Fail:
		c.Reason = fmt.Sprintf("%s: the difference is at least %s, above the negligible %s", rates, pp(lo), pp(p.neg))
	case stats.Pass:
		c.Reason = fmt.Sprintf("%s (%d and %d requests): the difference is at most %s at %.3g%%, below the material %s", rates, p.total[0], p.total[1], pp(passHi), 100*(1-max(p.family, alpha)), pp(p.mat))
	default:
		c.ReasonKind = warnKind(diff, lo, p.neg)
		c.Reason = fmt.Sprintf("%s: the difference [%s, %s] is inconclusive", rates, pp(lo), pp(hi))
	}
	c.Verdict = outcomeOf(out)
	return nil
}

// fillInterval stores the change e and its interval [lcb, ucb] (log scale,
// positive worse) in c as relative changes of the metric itself, so a
// throughput drop shows as negative.
func fillInterval(c *Check, e stats.Estimate, lcb, ucb, conf float64) {
	if c.HigherIsBetter {
		c.Change, c.CILow, c.CIHigh = stats.RelChange(-e.Effect), stats.RelChange(-ucb), stats.RelChange(-lcb)
	} else {
		c.Change, c.CILow, c.CIHigh = stats.RelChange(e.Effect), stats.RelChange(lcb), stats.RelChange(ucb)
	}
	c.Confidence = conf
}

func formatChange(c *Check) string {
	return fmt.Sprintf("%+.1f%% [%+.1f%%, %+.1f%%]", 100*c.Change, 100*c.CILow, 100*c.CIHigh)
}

func outcomeOf(o stats.Outcome) Outcome {
	switch o {
	case stats.Pass:
		return Pass
	case stats.Fail:
		return Fail
	}
	return Warn
}

func errStrings(errs []error) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, strings.TrimPrefix(e.Error(), "stats: "))
	}
	return out
}
