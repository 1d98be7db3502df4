package gate

import "fmt"

// Reason kinds: why a check or a run is WARN, for machines (report.json,
// JUnit) and for the headline of the comment. Bounds are the check's
// one-sided bounds L ≤ U at its own (Holm) level, on the scale where
// positive is worse (log ratios; differences of proportions for error
// rates), d̂ the estimate, δ' = ln(1+δ) and Δ' = ln(1+Δ). A WARN of a judged
// check means L ≤ δ' and U ≥ Δ', or a FAIL that a cross-check downgraded.
const (
	// ReasonInconclusive: no worsening was seen (L ≤ 0 and d̂ ≤ δ'), but a
	// material one is not ruled out (U ≥ Δ'). A longer or larger run, or a
	// calibrated τ, resolves it; regression.inconclusive chooses whether
	// it is reported as WARN (the default) or PASS.
	ReasonInconclusive = "inconclusive"
	// ReasonSmallRegression: a worsening was measured but not shown beyond
	// the negligible change: L > 0 (the interval excludes no change) or
	// d̂ > δ' (the estimate is above the negligible change without being
	// significant), with L ≤ δ'. A soak trend above δ' at the point
	// estimate only is one too.
	ReasonSmallRegression = "small_regression"
	// ReasonNotSignificantAfterHolm: L > δ' at the check's own level, but
	// Holm's step-down across the gating checks stopped before it.
	ReasonNotSignificantAfterHolm = "not_significant_after_holm"
	// ReasonSignedRankDisagrees: L > δ' and Holm rejects, but the exact
	// signed-rank test of the windows' d_w − δ' does not confirm it at the
	// same level (heavy-tailed windows, one outlier window).
	ReasonSignedRankDisagrees = "signed_rank_disagrees"
	// ReasonSLOWithinNoise: an SLO whose estimate breaks the limit while
	// its favourable confidence bound still meets it.
	ReasonSLOWithinNoise = "slo_within_noise"
	// ReasonInformational: a check shown but not judged (too few samples
	// for its percentile, no baseline, too little history, a phase check):
	// it never fails the gate.
	ReasonInformational = "informational"
	// ReasonUnmeasured: an SLO or gating check that could not be measured
	// (every request failed, every scrape failed, the server exposes no such
	// series); the row says why, its verdict is invalid (informational when
	// the policy lists it in optional), and the run cannot PASS.
	ReasonUnmeasured = "unmeasured"
)

// reasonRank orders the kinds from the most to the least serious: the run
// takes the kind of its most serious WARN.
var reasonRank = map[string]int{
	ReasonUnmeasured:              7,
	ReasonNotSignificantAfterHolm: 6,
	ReasonSignedRankDisagrees:     5,
	ReasonSmallRegression:         4,
	ReasonSLOWithinNoise:          3,
	ReasonInconclusive:            2,
	ReasonInformational:           1,
}

// reasonPhrase names a WARN of each kind in the run's reason.
var reasonPhrase = map[string]string{
	ReasonUnmeasured:              "a check that could not be measured",
	ReasonNotSignificantAfterHolm: "a regression not significant after the Holm correction",
	ReasonSignedRankDisagrees:     "a regression the signed-rank test does not confirm",
	ReasonSmallRegression:         "a worsening not shown beyond the negligible change",
	ReasonSLOWithinNoise:          "an SLO broken within noise",
	ReasonInconclusive:            "an inconclusive check",
	ReasonInformational:           "a check shown but not judged",
}

// warnKind classifies the WARN of a judged change with estimate est, lower
// bound lcb and negligible change neg (all positive-worse).
func warnKind(est, lcb, neg float64) string {
	if lcb > 0 || est > neg {
		return ReasonSmallRegression
	}
	return ReasonInconclusive
}

// RunReasonKind returns the reason kind of a run with these checks and
// outcome: for a WARN run, the most serious kind among its WARN checks; for
// a PASS run, ReasonInconclusive when an inconclusive check was reported as
// PASS; else "".
func RunReasonKind(out Outcome, checks []Check) string {
	best := ""
	for _, c := range checks {
		switch {
		case out == Warn && c.Verdict == Warn, out == Pass && c.ReasonKind == ReasonInconclusive:
			if reasonRank[c.ReasonKind] > reasonRank[best] {
				best = c.ReasonKind
			}
		}
	}
	return best
}

// Values of Rules.Inconclusive.
const (
	InconclusiveWarn = "warn"
	InconclusivePass = "pass"
)

// reportInconclusive applies Rules.Inconclusive: with InconclusivePass,
// an inconclusive gating check is PASS and says so; its reason kind stays.
func reportInconclusive(cs []Check, rules Rules) {
	if rules.Inconclusive != InconclusivePass {
		return
	}
	for i := range cs {
		c := &cs[i]
		if c.Gating && c.Verdict == Warn && c.ReasonKind == ReasonInconclusive {
			c.Verdict = Pass
			c.Reason += fmt.Sprintf("; reported as PASS (regression.inconclusive: %q)", InconclusivePass)
		}
	}
}
