package stats

import (
	"fmt"
	"math"
)

// Outcome is a three-valued verdict. The values are ordered by severity
// (Pass < Warn < Fail), so the verdict of several checks is their maximum.
// The zero value is not a verdict.
type Outcome int

// The outcomes of Decide.
const (
	// Pass: the change is shown to be below the material change.
	Pass Outcome = iota + 1
	// Warn: inconclusive, or a change between negligible and material.
	Warn
	// Fail: the change is shown to exceed the negligible change.
	Fail
)

// String returns "pass", "warn", "fail", or "unknown" for other values.
func (o Outcome) String() string {
	switch o {
	case Pass:
		return "pass"
	case Warn:
		return "warn"
	case Fail:
		return "fail"
	}
	return "unknown"
}

// Decide returns the verdict of one check from its one-sided confidence
// bounds lcb and ucb on the log scale (positive is worse) and the policy's
// thresholds on the same scale, negligible = ln(1+δ) and material =
// ln(1+Δ) (see LogChange): Fail if lcb > negligible; otherwise Pass if
// ucb < material; otherwise Warn. Fail is checked first, so a change
// confidently above δ fails even if it is also confidently below Δ. Any
// NaN input gives Warn.
func Decide(lcb, ucb, negligible, material float64) Outcome {
	if math.IsNaN(lcb) || math.IsNaN(ucb) || math.IsNaN(negligible) || math.IsNaN(material) {
		return Warn
	}
	if lcb > negligible {
		return Fail
	}
	if ucb < material {
		return Pass
	}
	return Warn
}

// Explain returns a one-line reason for the outcome Decide gives on the
// same arguments, with bounds and thresholds shown as relative changes,
// for example "lower bound +4.2% > negligible +3.0%".
func Explain(lcb, ucb, negligible, material float64) string {
	return ExplainDirected(lcb, ucb, negligible, material, false)
}

// ExplainDirected is Explain for a metric shown in its own direction: for
// a higher-is-better metric (throughput), whose bounds Decide receives on
// the "positive is worse" scale, the reason shows the change as measured,
// so a loss is negative: "upper bound -4.1% < negligible -2.9%" (a 3%
// negligible change on the log scale is a drop to 1/1.03).
func ExplainDirected(lcb, ucb, negligible, material float64, higherIsBetter bool) string {
	pct := func(x float64) string { return fmt.Sprintf("%+.1f%%", 100*RelChange(x)) }
	out := Decide(lcb, ucb, negligible, material)
	if out == Warn && (math.IsNaN(lcb) || math.IsNaN(ucb) || math.IsNaN(negligible) || math.IsNaN(material)) {
		return "bounds unavailable"
	}
	if higherIsBetter {
		lo, hi, neg, mat := pct(-ucb), pct(-lcb), pct(-negligible), pct(-material)
		switch out {
		case Fail:
			return fmt.Sprintf("upper bound %s < negligible %s", hi, neg)
		case Pass:
			return fmt.Sprintf("lower bound %s > material %s", lo, mat)
		}
		return fmt.Sprintf("inconclusive: interval [%s, %s] reaches material %s and does not clear negligible %s", lo, hi, mat, neg)
	}
	switch out {
	case Fail:
		return fmt.Sprintf("lower bound %s > negligible %s", pct(lcb), pct(negligible))
	case Pass:
		return fmt.Sprintf("upper bound %s < material %s", pct(ucb), pct(material))
	}
	return fmt.Sprintf("inconclusive: interval [%s, %s] reaches material %s and does not clear negligible %s", pct(lcb), pct(ucb), pct(material), pct(negligible))
}
