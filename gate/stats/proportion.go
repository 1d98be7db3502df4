package stats

import "math"

// Wilson returns the Wilson score interval for a binomial proportion from x
// successes (for perfgate: failed requests) out of n trials, at two-sided
// confidence level in (0,1), for example 0.95. The bounds lie in [0,1]; the
// interval is never degenerate, even for x == 0 or x == n, which is why it
// replaces the Wald interval p ± z·sqrt(p(1-p)/n). Each end is a one-sided
// bound at level (1+confidence)/2.
//
// Wilson returns ErrNoData for n == 0 and ErrDomain for x outside [0,n] or
// confidence outside (0,1).
func Wilson(x, n int, confidence float64) (lo, hi float64, err error) {
	if n == 0 {
		return 0, 0, errf(ErrNoData, "no trials")
	}
	if n < 0 || x < 0 || x > n || !(confidence > 0 && confidence < 1) {
		return 0, 0, errf(ErrDomain, "x=%d n=%d confidence=%v", x, n, confidence)
	}
	z := NormalQuantile(0.5 + confidence/2)
	lo, hi = wilson(x, n, z)
	return lo, hi, nil
}

func wilson(x, n int, z float64) (lo, hi float64) {
	fn := float64(n)
	p := float64(x) / fn
	z2 := z * z
	denom := 1 + z2/fn
	center := (p + z2/(2*fn)) / denom
	half := z / denom * math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn))
	lo, hi = center-half, center+half
	// Exact at the boundaries (the formula gives ±1e-17 there).
	if x == 0 {
		lo = 0
	}
	if x == n {
		hi = 1
	}
	return math.Max(0, lo), math.Min(1, hi)
}

// NewcombeDiff returns the difference p1 - p2 of two independent
// proportions, p1 = x1/n1 and p2 = x2/n2, with Newcombe's hybrid score
// interval (method 10 of Newcombe 1998, "Interval estimation for the
// difference between independent proportions: comparison of eleven
// methods", Statistics in Medicine 17:873-890), at two-sided confidence
// level in (0,1):
//
//	lo = d - sqrt((p1-l1)² + (u2-p2)²),  hi = d + sqrt((u1-p1)² + (p2-l2)²)
//
// where [l_i, u_i] are the Wilson intervals. Bounds lie in [-1,1]. For error
// rates pass the candidate as 1 and the baseline as 2, so a positive
// difference is worse; lo at confidence 1-2·alpha is a one-sided lower bound
// at level 1-alpha. Differences of rates are in absolute units (0.001 is
// 0.1 percentage point), not on the log scale.
//
// NewcombeDiff returns ErrNoData when n1 or n2 is 0 and ErrDomain for counts
// outside [0,n] or confidence outside (0,1).
func NewcombeDiff(x1, n1, x2, n2 int, confidence float64) (diff, lo, hi float64, err error) {
	l1, u1, err := Wilson(x1, n1, confidence)
	if err != nil {
		return 0, 0, 0, err
	}
	l2, u2, err := Wilson(x2, n2, confidence)
	if err != nil {
		return 0, 0, 0, err
	}
	p1 := float64(x1) / float64(n1)
	p2 := float64(x2) / float64(n2)
	diff = p1 - p2
	lo = diff - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2))
	hi = diff + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
	return diff, math.Max(-1, lo), math.Min(1, hi), nil
}
