package stats

import "math"

// BinomialCDF returns P(X <= k) for X ~ Binomial(n, p), in [0,1]: 0 for
// k < 0, 1 for k >= n. It returns NaN for n < 0 or p outside [0,1].
func BinomialCDF(k, n int, p float64) float64 {
	switch {
	case n < 0 || !(p >= 0 && p <= 1):
		return math.NaN()
	case k < 0:
		return 0
	case k >= n:
		return 1
	}
	pmf := binomialPMF(n, p)
	var s float64
	for i := 0; i <= k; i++ {
		s += pmf[i]
	}
	return math.Min(1, s)
}

// binomialPMF returns P(X = i), i = 0..n, for X ~ Binomial(n, p), from
// log-gamma so that n in the thousands neither overflows nor underflows
// where it matters.
func binomialPMF(n int, p float64) []float64 {
	out := make([]float64, n+1)
	switch p {
	case 0:
		out[0] = 1
		return out
	case 1:
		out[n] = 1
		return out
	}
	lgn, _ := math.Lgamma(float64(n + 1))
	lp, lq := math.Log(p), math.Log1p(-p)
	for i := 0; i <= n; i++ {
		a, _ := math.Lgamma(float64(i + 1))
		b, _ := math.Lgamma(float64(n - i + 1))
		out[i] = math.Exp(lgn - a - b + float64(i)*lp + float64(n-i)*lq)
	}
	return out
}

// OrderStatRanks chooses the order statistics that bound the change of a
// q-quantile between two samples without any assumption about their
// distributions: X_(k), the k-th smallest of the n values of the sample
// that is to be bounded from above (the baseline), and Y_(j), the j-th
// smallest of the m values of the sample to be bounded from below (the
// candidate), both ranks 1-based. With continuous distributions,
//
//	P(X_(k) < ξ_X) = P(Bin(n, q) >= k)  and  P(Y_(j) > ξ_Y) = P(Bin(m, q) <= j-1),
//
// so Y_(j)/X_(k) is below ξ_Y/ξ_X except with probability at most their
// sum, which OrderStatRanks keeps at or below alpha (a Bonferroni split of
// alpha between the two samples). Among the pairs that do, it returns the
// one whose ranks lie closest to each other as quantiles (the least k/n −
// j/m): the choice depends on n, m, q and alpha only, never on the values,
// so the level holds. This is the binomial (order-statistic) confidence
// bound of a quantile (Hahn and Meeker, Statistical Intervals, 2nd ed.,
// section 5.2), applied to each sample.
//
// ok is false when no pair exists: the upper bound of X's q-quantile needs
// 1 − q^n > 1 − alpha at the very least (X_(n), the maximum), so 90 values
// cannot bound a p95 from above at alpha < 0.0099.
func OrderStatRanks(n, m int, q, alpha float64) (k, j int, ok bool) {
	if n < 1 || m < 1 || !(q > 0 && q < 1) || !(alpha > 0 && alpha < 1) {
		return 0, 0, false
	}
	pn, pm := binomialPMF(n, q), binomialPMF(m, q)
	// tailN[k] = P(Bin(n,q) >= k), summed from the top so that small
	// tails keep their precision; cdfM[j] = P(Bin(m,q) <= j).
	tailN := make([]float64, n+2)
	for i := n; i >= 0; i-- {
		tailN[i] = tailN[i+1] + pn[i]
	}
	cdfM := make([]float64, m+1)
	acc := 0.0
	for i := 0; i <= m; i++ {
		acc += pm[i]
		cdfM[i] = acc
	}
	best := math.Inf(1)
	for kk := 1; kk <= n; kk++ {
		rest := alpha - tailN[kk]
		if rest <= 0 {
			continue
		}
		// The largest jj with cdfM[jj-1] <= rest.
		lo, hi := 0, m // cdfM[lo-1] <= rest holds for lo = 0 vacuously
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if cdfM[mid-1] <= rest {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		if lo < 1 {
			continue
		}
		if score := float64(kk)/float64(n) - float64(lo)/float64(m); score < best {
			best, k, j, ok = score, kk, lo, true
		}
	}
	return k, j, ok
}
