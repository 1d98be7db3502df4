package stats

import (
	"math"
	"slices"
	"sort"
)

// ExactSignedRankMaxN is the largest number of non-zero differences for
// which SignedRank and HodgesLehmann use the exact null distribution; above
// it they use the normal approximation (and say so in Warnings).
const ExactSignedRankMaxN = 50

// SignedRankResult is the outcome of a Wilcoxon signed-rank test of
// H0: the differences are symmetric about 0.
type SignedRankResult struct {
	// N is the number of non-zero differences used; zeros are dropped
	// (Wilcoxon's convention, as in R's wilcox.test).
	N int
	// Zeros is the number of differences equal to 0 that were dropped.
	Zeros int
	// V is the sum of the ranks of |d| over the positive differences
	// (R's statistic V), in [0, N(N+1)/2]; tied |d| share their mid-rank.
	V float64
	// Ties reports whether some non-zero |d| are tied.
	Ties bool
	// Exact reports whether the p-values come from the exact permutation
	// distribution of V (conditional on the tie pattern) rather than the
	// normal approximation.
	Exact bool
	// PGreater is the one-sided p-value for H1: location > 0, P(V >= v),
	// in [0,1]. With positive = worse, this is the regression test.
	PGreater float64
	// PLess is the one-sided p-value for H1: location < 0, P(V <= v).
	PLess float64
	// PTwoSided is min(1, 2·min(PGreater, PLess)).
	PTwoSided float64
	// Estimate is the Hodges-Lehmann estimate of location: the median of
	// the Walsh averages (d_i+d_j)/2, i <= j, of the non-zero differences,
	// in the units of d. It is 0 when N is 0.
	Estimate float64
	// Warnings lists caveats: WarnDropped for zeros, WarnApproximate when
	// the normal approximation was used.
	Warnings []error
}

// SignedRank performs the Wilcoxon signed-rank test of H0: the differences
// d are symmetric about 0, and computes the Hodges-Lehmann estimate.
//
// Zeros are dropped and counted (Wilcoxon's convention). Tied |d| receive
// mid-ranks. With at most ExactSignedRankMaxN non-zero differences the
// p-values are exact: without ties they match R's psignrank (and
// wilcox.test(exact=TRUE)); with ties they come from the exact permutation
// distribution of the mid-rank statistic given the tie pattern (R falls back
// to the normal approximation there). Above ExactSignedRankMaxN the normal
// approximation with tie and continuity corrections is used, as in R's
// wilcox.test(exact=FALSE, correct=TRUE).
//
// To test whether the location exceeds a threshold θ0 (for example
// ln(1+δ)), pass d_i - θ0 and read PGreater.
//
// SignedRank returns ErrNoData for an empty d and ErrNotFinite if d holds a
// NaN or infinity. If every difference is zero it returns N == 0, all
// p-values 1 and a WarnDropped warning.
func SignedRank(d []float64) (SignedRankResult, error) {
	var r SignedRankResult
	if len(d) == 0 {
		return r, ErrNoData
	}
	nz := make([]float64, 0, len(d))
	for _, x := range d {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return r, ErrNotFinite
		}
		if x == 0 {
			r.Zeros++
			continue
		}
		nz = append(nz, x)
	}
	r.N = len(nz)
	if r.Zeros > 0 {
		r.Warnings = append(r.Warnings, warnf(WarnDropped, "%d zero differences dropped from the signed-rank test", r.Zeros))
	}
	if r.N == 0 {
		r.PGreater, r.PLess, r.PTwoSided = 1, 1, 1
		r.Exact = true
		return r, nil
	}

	ranks, ties := midRanks(nz)
	r.Ties = ties
	for i, x := range nz {
		if x > 0 {
			r.V += ranks[i]
		}
	}
	r.Estimate = median(walshAverages(nz))

	if r.N <= ExactSignedRankMaxN {
		r.Exact = true
		// Doubled mid-ranks are integers, so the exact distribution of 2V
		// is a subset-sum count over integer weights.
		w := make([]int, r.N)
		for i, rk := range ranks {
			w[i] = int(math.Round(2 * rk))
		}
		dist := signedRankDist(w)
		v2 := int(math.Round(2 * r.V))
		for s, p := range dist {
			if s <= v2 {
				r.PLess += p
			}
			if s >= v2 {
				r.PGreater += p
			}
		}
		r.PLess = math.Min(1, r.PLess)
		r.PGreater = math.Min(1, r.PGreater)
	} else {
		n := float64(r.N)
		mean := n * (n + 1) / 4
		variance := n * (n + 1) * (2*n + 1) / 24
		variance -= tieCorrection(ranks) / 48
		sd := math.Sqrt(variance)
		// Continuity correction of 0.5 toward the mean, as in R.
		r.PGreater = 1 - TCDF(math.Inf(1), (r.V-mean-0.5)/sd)
		r.PLess = TCDF(math.Inf(1), (r.V-mean+0.5)/sd)
		r.Warnings = append(r.Warnings, warnf(WarnApproximate, "signed-rank p-values for n=%d > %d use the normal approximation", r.N, ExactSignedRankMaxN))
	}
	r.PTwoSided = math.Min(1, 2*math.Min(r.PGreater, r.PLess))
	return r, nil
}

// midRanks returns the ranks (1-based, mid-ranks for ties) of |x| and
// whether any ties occurred.
func midRanks(x []float64) ([]float64, bool) {
	n := len(x)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return math.Abs(x[idx[a]]) < math.Abs(x[idx[b]]) })
	ranks := make([]float64, n)
	ties := false
	for i := 0; i < n; {
		j := i + 1
		for j < n && math.Abs(x[idx[j]]) == math.Abs(x[idx[i]]) {
			j++
		}
		if j-i > 1 {
			ties = true
		}
		mid := float64(i+1+j) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			ranks[idx[k]] = mid
		}
		i = j
	}
	return ranks, ties
}

// tieCorrection returns sum(t^3 - t) over the groups of tied ranks.
func tieCorrection(ranks []float64) float64 {
	counts := map[float64]int{}
	for _, r := range ranks {
		counts[r]++
	}
	var s float64
	for _, t := range counts {
		ft := float64(t)
		s += ft*ft*ft - ft
	}
	return s
}

// signedRankDist returns the null distribution of the sum of the weights w
// over a random subset in which each element is included independently with
// probability 1/2: dist[s] = P(sum = s). The weights are small positive
// integers (doubled ranks), so this is a subset-sum dynamic programme in
// O(n·sum(w)).
func signedRankDist(w []int) []float64 {
	total := 0
	for _, x := range w {
		total += x
	}
	dist := make([]float64, total+1)
	dist[0] = 1
	hi := 0
	for _, x := range w {
		for s := hi; s >= 0; s-- {
			if dist[s] != 0 {
				dist[s+x] += dist[s]
			}
		}
		hi += x
	}
	// Counts are integers below 2^53 for n <= 50, so they are exact; the
	// scaling by 2^-n is exact too.
	scale := math.Ldexp(1, -len(w))
	for s := range dist {
		dist[s] *= scale
	}
	return dist
}

// walshAverages returns the n(n+1)/2 averages (x_i+x_j)/2, i <= j, sorted.
func walshAverages(x []float64) []float64 {
	n := len(x)
	out := make([]float64, 0, n*(n+1)/2)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			out = append(out, (x[i]+x[j])/2)
		}
	}
	slices.Sort(out)
	return out
}

// median returns the median of sorted values (0 for an empty slice).
func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// HodgesLehmannBounds returns one-sided confidence bounds for the location
// (pseudo-median) of the differences d, each at level 1-alpha, from the
// order statistics of the Walsh averages of the non-zero differences:
// lower is the k-th smallest and upper the k-th largest Walsh average, where
// k is the largest integer with P(V <= k-1) <= alpha under the untied null
// distribution (exact for N <= ExactSignedRankMaxN, normal approximation
// above). Together [lower, upper] is a two-sided 1-2·alpha interval; this
// matches R's wilcox.test(conf.int=TRUE) (exact, no ties, no zeros), whose
// two-sided 1-a interval is HodgesLehmannBounds(d, a/2).
//
// alpha must be in (0, 0.5). When N is so small that no Walsh average
// reaches level 1-alpha (for example N <= 4 at alpha = 0.05), the bounds
// are the extreme Walsh averages and a WarnNotJudgeable warning says that
// the achieved level is below 1-alpha. With ties in d the interval is
// approximate. Zeros are dropped as in SignedRank.
func HodgesLehmannBounds(d []float64, alpha float64) (lower, upper float64, warnings []error, err error) {
	if !(alpha > 0 && alpha < 0.5) {
		return 0, 0, nil, errf(ErrDomain, "alpha %v not in (0, 0.5)", alpha)
	}
	if len(d) == 0 {
		return 0, 0, nil, ErrNoData
	}
	nz := make([]float64, 0, len(d))
	for _, x := range d {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, 0, nil, ErrNotFinite
		}
		if x != 0 {
			nz = append(nz, x)
		}
	}
	if len(nz) == 0 {
		return 0, 0, nil, errf(ErrNoData, "all differences are zero")
	}
	if z := len(d) - len(nz); z > 0 {
		warnings = append(warnings, warnf(WarnDropped, "%d zero differences dropped", z))
	}
	if _, ties := midRanks(nz); ties {
		warnings = append(warnings, warnf(WarnApproximate, "tied differences: the Hodges-Lehmann interval is approximate"))
	}
	walsh := walshAverages(nz)
	n := len(nz)
	m := len(walsh)
	k := 0 // number of Walsh averages that may be cut from each end
	if n <= ExactSignedRankMaxN {
		w := make([]int, n)
		for i := range w {
			w[i] = i + 1
		}
		dist := signedRankDist(w)
		cum := 0.0
		for s := 0; s < len(dist); s++ {
			cum += dist[s]
			if cum > alpha*(1+1e-12) {
				break
			}
			k = s + 1
		}
	} else {
		fn := float64(n)
		mean := fn * (fn + 1) / 4
		sd := math.Sqrt(fn * (fn + 1) * (2*fn + 1) / 24)
		k = int(math.Floor(mean - NormalQuantile(1-alpha)*sd + 0.5))
		warnings = append(warnings, warnf(WarnApproximate, "Hodges-Lehmann bounds for n=%d use the normal approximation", n))
	}
	if k < 1 {
		warnings = append(warnings, warnf(WarnNotJudgeable, "n=%d non-zero differences cannot reach confidence %.4g; bounds are the extreme Walsh averages", n, 1-alpha))
		k = 1
	}
	if k > m {
		k = m
	}
	return walsh[k-1], walsh[m-k], warnings, nil
}
