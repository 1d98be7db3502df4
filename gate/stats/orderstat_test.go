package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBinomialCDF(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		p    float64
		want float64
	}{
		{0, 90, 0.95, math.Pow(0.05, 90)},
		{89, 90, 0.95, 1 - math.Pow(0.95, 90)},
		{2, 4, 0.5, 11.0 / 16},
		{-1, 4, 0.5, 0},
		{4, 4, 0.5, 1},
	} {
		if got := BinomialCDF(tc.k, tc.n, tc.p); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("BinomialCDF(%d, %d, %v) = %v, want %v", tc.k, tc.n, tc.p, got, tc.want)
		}
	}
	if !math.IsNaN(BinomialCDF(1, 4, 1.5)) {
		t.Error("p outside [0,1] must give NaN")
	}
}

func TestOrderStatRanksLevels(t *testing.T) {
	for _, tc := range []struct {
		n, m  int
		q, a  float64
		maxed bool // no pair exists
	}{
		{90, 90, 0.95, 0.005, true}, // 0.95^90 = 0.0099 > 0.005
		{90, 90, 0.95, 0.02, false},
		{90, 90, 0.90, 0.005, false},
		{300, 200, 0.95, 0.005, false},
		{5, 5, 0.5, 0.05, true},
	} {
		k, j, ok := OrderStatRanks(tc.n, tc.m, tc.q, tc.a)
		if ok == tc.maxed {
			t.Errorf("%+v: ok %v", tc, ok)
			continue
		}
		if !ok {
			continue
		}
		aB := 1 - BinomialCDF(k-1, tc.n, tc.q)
		aC := BinomialCDF(j-1, tc.m, tc.q)
		if aB+aC > tc.a+1e-12 || k < 1 || k > tc.n || j < 1 || j > tc.m || float64(j)/float64(tc.m) > tc.q || float64(k)/float64(tc.n) < tc.q {
			t.Errorf("%+v: ranks %d, %d with errors %.4g + %.4g", tc, k, j, aB, aC)
		}
	}
}

// TestOrderStatRanksCoverage draws two samples from the same distribution
// many times: Y_(j) > X_(k) (a change claimed where there is none) must be
// at most as frequent as alpha.
func TestOrderStatRanksCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, trials, alpha = 120, 4000, 0.02
	k, j, ok := OrderStatRanks(n, n, 0.95, alpha)
	if !ok {
		t.Fatal("no ranks")
	}
	bad := 0
	x, y := make([]float64, n), make([]float64, n)
	for range trials {
		for i := range n {
			x[i], y[i] = rng.ExpFloat64(), rng.ExpFloat64()
		}
		slices.Sort(x)
		slices.Sort(y)
		if y[j-1] > x[k-1] {
			bad++
		}
	}
	// Binomial(4000, 0.02): mean 80, sd 8.9.
	if bad > 110 {
		t.Errorf("%d of %d claimed a change, want at most about %v", bad, trials, alpha*trials)
	}
}
