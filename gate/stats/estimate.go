package stats

import "math"

// Estimate is a change on the log scale with its standard error and the
// degrees of freedom of its t reference distribution. Effect is
// ln(candidate/baseline) signed so that positive is worse; SE >= 0 is in
// the same units; DF > 0, or 0 when the estimate carries no information
// (its bounds are then infinite).
type Estimate struct {
	Effect float64
	SE     float64
	DF     float64
}

// tq returns the one-sided critical value t(DF, 1-alpha).
func (e Estimate) tq(alpha float64) float64 {
	return TQuantile(e.DF, 1-alpha)
}

// Lower returns the one-sided lower confidence bound at level 1-alpha,
// Effect - t(DF, 1-alpha)·SE, for alpha in (0,1). It is -Inf when DF is 0
// and NaN when alpha is outside (0,1).
func (e Estimate) Lower(alpha float64) float64 {
	if !(alpha > 0 && alpha < 1) {
		return math.NaN()
	}
	if e.DF <= 0 {
		return math.Inf(-1)
	}
	if e.SE == 0 {
		return e.Effect
	}
	return e.Effect - e.tq(alpha)*e.SE
}

// Upper returns the one-sided upper confidence bound at level 1-alpha,
// Effect + t(DF, 1-alpha)·SE, for alpha in (0,1). It is +Inf when DF is 0
// and NaN when alpha is outside (0,1).
func (e Estimate) Upper(alpha float64) float64 {
	if !(alpha > 0 && alpha < 1) {
		return math.NaN()
	}
	if e.DF <= 0 {
		return math.Inf(1)
	}
	if e.SE == 0 {
		return e.Effect
	}
	return e.Effect + e.tq(alpha)*e.SE
}

// PExceeds returns the one-sided p-value, in [0,1], of H0: true effect <=
// threshold against H1: true effect > threshold, that is
// 1 - T_DF((Effect - threshold)/SE). Lower(a) > threshold exactly when
// PExceeds(threshold) < a, which is what lets HolmStepDown pick each
// metric's alpha. It returns 1 when DF is 0 or any input is NaN (no
// evidence), and 0 or 1 when SE is 0.
func (e Estimate) PExceeds(threshold float64) float64 {
	if e.DF <= 0 || math.IsNaN(e.Effect) || math.IsNaN(e.SE) || math.IsNaN(threshold) {
		return 1
	}
	if e.SE == 0 {
		if e.Effect > threshold {
			return 0
		}
		return 1
	}
	return 1 - TCDF(e.DF, (e.Effect-threshold)/e.SE)
}

// MDE returns the minimum detectable effect on the log scale: the true
// effect that this estimate's lower bound at level 1-alpha would put above
// negligible (ln(1+δ)) with probability power (typically 0.95),
// approximately negligible + (t(DF, 1-alpha) + z(power))·SE. Convert it with
// RelChange for display. It is +Inf when DF is 0 and NaN when alpha or power
// is outside (0,1).
func (e Estimate) MDE(alpha, negligible, power float64) float64 {
	if !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1) {
		return math.NaN()
	}
	if e.DF <= 0 {
		return math.Inf(1)
	}
	return negligible + (e.tq(alpha)+NormalQuantile(power))*e.SE
}
