package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// approx reports whether a and b differ by at most tol.
func approx(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Hamilton depression scale factor of 9 patients at the first (x) and second
// (y) visit, Hollander & Wolfe (1973, p. 29f.), the data of the examples of
// R's ?wilcox.test.
var depressionX = []float64{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30}
var depressionY = []float64{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29}

func diffs(x, y []float64) []float64 {
	d := make([]float64, len(x))
	for i := range x {
		d[i] = x[i] - y[i]
	}
	return d
}

func TestSignedRankPublished(t *testing.T) {
	// R: wilcox.test(x, y, paired = TRUE, alternative = "greater")
	//   V = 40, p-value = 0.01953
	// (?wilcox.test; 0.01953 = 10/512, the two-sided p-value is 0.03906.)
	// The Hodges-Lehmann estimate, R's "(pseudo)median" with conf.int=TRUE,
	// is 0.46.
	r, err := SignedRank(diffs(depressionX, depressionY))
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 9 || r.V != 40 || !r.Exact || r.Ties {
		t.Errorf("N=%d V=%v exact=%v ties=%v, want 9 40 true false", r.N, r.V, r.Exact, r.Ties)
	}
	if !approx(r.PGreater, 0.01953, 5e-6) || !approx(r.PTwoSided, 0.03906, 5e-6) {
		t.Errorf("PGreater=%v PTwoSided=%v, want 0.01953 0.03906", r.PGreater, r.PTwoSided)
	}
	if !approx(r.Estimate, 0.46, 1e-12) {
		t.Errorf("Hodges-Lehmann estimate %v, want 0.46", r.Estimate)
	}

	// Wilcoxon (1945), the paper's own paired data (A - B): T- = 3, n = 8.
	// Exact two-sided p-value 10/256 = 0.03906 (R: psignrank(3, 8) = 0.01953).
	r, err = SignedRank(diffs([]float64{209, 200, 177, 169, 159, 169, 187, 198}, []float64{151, 168, 147, 164, 166, 163, 176, 188}))
	if err != nil {
		t.Fatal(err)
	}
	if r.V != 33 || !approx(r.PTwoSided, 0.03906, 5e-6) {
		t.Errorf("V=%v PTwoSided=%v, want 33 0.03906", r.V, r.PTwoSided)
	}
	// P(V >= 33) = P(V <= 3) = 5/256; P(V <= 33) = 1 - P(V <= 2) = 253/256.
	if r.PGreater != 5.0/256 || r.PLess != 253.0/256 {
		t.Errorf("PGreater=%v PLess=%v, want 5/256 253/256", r.PGreater, r.PLess)
	}
}

// Critical values of the signed-rank statistic T = min(T+, T-) for a
// two-sided test at alpha = 0.05 (one-sided 0.025), as printed in the
// standard tables (e.g. Wilcoxon, Katti & Wilcox 1970; Zar, Biostatistical
// Analysis, Table B.12): reject when T <= c. So P(T <= c) <= 0.025 <
// P(T <= c+1) under the exact null distribution.
var signedRankCritical05 = map[int]int{
	6: 0, 7: 2, 8: 3, 9: 5, 10: 8, 11: 10, 12: 13, 13: 17, 14: 21, 15: 25,
	16: 29, 17: 34, 18: 40, 19: 46, 20: 52, 25: 89, 30: 137,
}

func untiedCDF(n, v int) float64 {
	w := make([]int, n)
	for i := range w {
		w[i] = 2 * (i + 1)
	}
	dist := signedRankDist(w)
	var c float64
	for s := 0; s <= 2*v && s < len(dist); s++ {
		c += dist[s]
	}
	return c
}

func TestSignedRankCriticalValues(t *testing.T) {
	for n, c := range signedRankCritical05 {
		if p := untiedCDF(n, c); p > 0.025 {
			t.Errorf("n=%d: P(T<=%d)=%v > 0.025", n, c, p)
		}
		if p := untiedCDF(n, c+1); p <= 0.025 {
			t.Errorf("n=%d: P(T<=%d)=%v <= 0.025", n, c+1, p)
		}
	}
	// psignrank(8, 10) = 25/1024 (R); by hand: 25 subsets of 1..10 sum <= 8.
	if p := untiedCDF(10, 8); p != 25.0/1024 {
		t.Errorf("psignrank(8,10)=%v, want 25/1024", p)
	}
	// The distribution sums to 1 and is symmetric.
	w := []int{2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24}
	dist := signedRankDist(w)
	var sum float64
	for s := range dist {
		sum += dist[s]
		if dist[s] != dist[len(dist)-1-s] {
			t.Fatalf("asymmetric at %d", s)
		}
	}
	if !approx(sum, 1, 1e-14) {
		t.Errorf("sum=%v", sum)
	}
}

// bruteSignedRank enumerates all 2^n sign assignments of the mid-ranks of
// the non-zero |d| and returns P(V >= v) and P(V <= v): the exact
// permutation distribution, computed independently of signedRankDist.
func bruteSignedRank(d []float64) (pg, pl float64) {
	var nz []float64
	for _, x := range d {
		if x != 0 {
			nz = append(nz, x)
		}
	}
	ranks, _ := midRanks(nz)
	var v float64
	for i, x := range nz {
		if x > 0 {
			v += ranks[i]
		}
	}
	n := len(nz)
	total := 1 << n
	var ge, le int
	for mask := 0; mask < total; mask++ {
		var s float64
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				s += ranks[i]
			}
		}
		if s >= v-1e-9 {
			ge++
		}
		if s <= v+1e-9 {
			le++
		}
	}
	return float64(ge) / float64(total), float64(le) / float64(total)
}

func TestSignedRankMatchesEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(14)
		d := make([]float64, n)
		for i := range d {
			// Small integers: many ties and some zeros.
			d[i] = float64(rng.IntN(9) - 3)
			if trial%2 == 0 {
				d[i] = rng.NormFloat64() + 0.3
			}
		}
		r, err := SignedRank(d)
		if err != nil {
			t.Fatal(err)
		}
		if r.N == 0 {
			continue
		}
		pg, pl := bruteSignedRank(d)
		if !approx(r.PGreater, pg, 1e-12) || !approx(r.PLess, pl, 1e-12) {
			t.Fatalf("d=%v: got %v %v, enumeration %v %v", d, r.PGreater, r.PLess, pg, pl)
		}
	}
}

func TestSignedRankNormalApproximation(t *testing.T) {
	// Above ExactSignedRankMaxN the normal approximation must be close to the
	// exact distribution (computed here by the same DP, which is exact).
	rng := rand.New(rand.NewPCG(3, 4))
	d := make([]float64, 60)
	for i := range d {
		d[i] = rng.NormFloat64() + 0.25
	}
	r, err := SignedRank(d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Exact || !hasWarning(r.Warnings, WarnApproximate) {
		t.Errorf("n=60: exact=%v warnings=%v, want approximation with warning", r.Exact, r.Warnings)
	}
	ranks, _ := midRanks(d)
	w := make([]int, len(d))
	for i := range w {
		w[i] = int(2 * ranks[i])
	}
	dist := signedRankDist(w)
	var exact float64
	for s := int(2 * r.V); s < len(dist); s++ {
		exact += dist[s]
	}
	if !approx(r.PGreater, exact, 0.005) {
		t.Errorf("normal PGreater=%v, exact %v", r.PGreater, exact)
	}
}

func hasWarning(ws []error, target error) bool {
	for _, w := range ws {
		if errors.Is(w, target) {
			return true
		}
	}
	return false
}

func TestSignedRankBadInput(t *testing.T) {
	if _, err := SignedRank(nil); !errors.Is(err, ErrNoData) {
		t.Errorf("nil: %v", err)
	}
	if _, err := SignedRank([]float64{1, math.NaN()}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN: %v", err)
	}
	r, err := SignedRank([]float64{0, 0, 0})
	if err != nil || r.N != 0 || r.PTwoSided != 1 || r.PGreater != 1 || !hasWarning(r.Warnings, WarnDropped) {
		t.Errorf("zeros: %+v %v", r, err)
	}
	r, err = SignedRank([]float64{0, 1, 2, 3})
	if err != nil || r.N != 3 || r.Zeros != 1 || r.V != 6 || r.PGreater != 1.0/8 {
		t.Errorf("one zero: %+v %v", r, err)
	}
}

func TestHodgesLehmannBounds(t *testing.T) {
	// n = 9, one-sided alpha = 0.025: the table's critical value is 5, so the
	// bounds are the 6th smallest and the 6th largest Walsh averages.
	d := diffs(depressionX, depressionY)
	lo, hi, warns, err := HodgesLehmannBounds(d, 0.025)
	if err != nil || len(warns) != 0 {
		t.Fatal(err, warns)
	}
	walsh := walshAverages(d)
	if lo != walsh[5] || hi != walsh[len(walsh)-6] {
		t.Errorf("bounds %v %v, want %v %v", lo, hi, walsh[5], walsh[len(walsh)-6])
	}
	// By hand: the sorted differences are -0.147 -0.08 0.01 0.43 0.49 0.59
	// 0.62 0.952 1.022; the six smallest Walsh averages end at 0.01 and the
	// six largest at (0.952+0.62)/2 = 0.786.
	if !approx(lo, 0.01, 1e-12) || !approx(hi, 0.786, 1e-12) {
		t.Errorf("bounds %v %v, want 0.010 0.786", lo, hi)
	}
	// For every table entry the bound index is critical value + 1.
	for n, c := range signedRankCritical05 {
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Pow(2, float64(i)) // distinct Walsh averages
		}
		lo, _, _, err := HodgesLehmannBounds(x, 0.025)
		if err != nil {
			t.Fatal(err)
		}
		if w := walshAverages(x); lo != w[c] {
			t.Errorf("n=%d: lower bound is not Walsh average #%d", n, c+1)
		}
	}
	// Too few values to reach 97.5%: extreme averages and a warning.
	_, _, warns, err = HodgesLehmannBounds([]float64{1, 2, 3, 4}, 0.025)
	if err != nil || !hasWarning(warns, WarnNotJudgeable) {
		t.Errorf("n=4: %v %v", warns, err)
	}
	if _, _, _, err := HodgesLehmannBounds(d, 0.7); !errors.Is(err, ErrDomain) {
		t.Errorf("alpha 0.7: %v", err)
	}
}
