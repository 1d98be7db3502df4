package stats

import (
	"math"
	"sort"
)

// Holm returns Holm's step-down adjusted p-values for the family p, in the
// same order as p: with p sorted ascending as p(1) <= ... <= p(m), the
// adjusted value of p(i) is max over j <= i of min(1, (m-j+1)·p(j)), so the
// adjusted values are monotone in the raw ones. This equals R's
// p.adjust(p, method = "holm"). NaN entries stay NaN and are not counted in
// m (as R does with NA). Holm controls the family-wise error rate under any
// dependence between the tests: reject H_i exactly when adjusted[i] <= alpha.
func Holm(p []float64) []float64 {
	out := make([]float64, len(p))
	order := holmOrder(p, out)
	m := len(order)
	running := 0.0
	for rank, i := range order {
		adj := math.Min(1, float64(m-rank)*p[i])
		running = math.Max(running, adj)
		out[i] = running
	}
	return out
}

// holmOrder returns the indexes of the non-NaN entries of p sorted by
// ascending p (stable, so ties keep input order), and sets out[i] = NaN for
// the NaN entries.
func holmOrder(p []float64, out []float64) []int {
	order := make([]int, 0, len(p))
	for i, x := range p {
		if math.IsNaN(x) {
			out[i] = math.NaN()
			continue
		}
		order = append(order, i)
	}
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] < p[order[b]] })
	return order
}

// HolmStepDown runs Holm's procedure on the one-sided p-values p of a
// family of tests at family-wise level alpha in (0,1) and returns, in the
// order of p, each test's threshold alpha_m and whether it is rejected.
//
// With p sorted ascending, the test of rank i (1-based) among the m non-NaN
// values has threshold alpha/(m-i+1): the smallest p is compared with
// alpha/m, the next with alpha/(m-1), and so on. Tests are rejected in that
// order until the first one whose p exceeds its threshold; it and all later
// ones are not rejected, even if a later p is below its own threshold. So
// reject[i] is the decision and thresholds[i] is the level to report with
// it; reject[i] is equivalent to Holm(p)[i] <= alpha. NaN entries get
// threshold NaN and reject false.
//
// For the gate, p_m is the one-sided p-value of H0: effect <= ln(1+δ) for
// gating metric m (Estimate.PExceeds). A metric may FAIL only if
// reject[m]; its one-sided bounds are then computed at alpha_m =
// thresholds[m], and reject[m] implies Lower(alpha_m) >= ln(1+δ), so the
// reported bound and the decision agree. Using the same alpha_m for the
// upper bound (the PASS side) is conservative: it can only turn PASS into
// WARN.
func HolmStepDown(p []float64, alpha float64) (thresholds []float64, reject []bool) {
	thresholds = make([]float64, len(p))
	reject = make([]bool, len(p))
	order := holmOrder(p, thresholds)
	m := len(order)
	stopped := !(alpha > 0 && alpha < 1)
	for rank, i := range order {
		thresholds[i] = alpha / float64(m-rank)
		if !stopped && p[i] <= thresholds[i] {
			reject[i] = true
		} else {
			stopped = true
		}
	}
	return thresholds, reject
}
