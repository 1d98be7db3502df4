package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestHistoryConstructed(t *testing.T) {
	// By hand: history 0.00 0.02 -0.02 0.04 -0.04 has m = 0 and s² = 0.001;
	// x = 0.1, se_x = 0.01: SE = sqrt(0.001·1.2 + 0.0001) = sqrt(0.0013) =
	// 0.0360555; df = TotalDF(5, 0.0001, 0.0009) = 1/(1/4 + 0.9²/4) =
	// 2.20994 (five stored runs whose spread is 90% between deployments,
	// with their heavy tails), t(2.20994, 0.95) = 2.73933 (numerical
	// integration), so the lower bound is 0.1 − 0.098768 = 0.001232.
	r, err := History(0.1, 0.01, []float64{0, 0.02, -0.02, 0.04, -0.04})
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 5 || !r.Judgeable || !approx(r.DF, 1/(0.25+0.81/4), 1e-12) || !approx(r.Effect, 0.1, 1e-15) || !approx(r.SD*r.SD, 0.001, 1e-15) {
		t.Errorf("got %+v", r)
	}
	if q := TQuantile(1/(0.25+0.81/4), 0.95); !approx(q, 2.73933, 1e-4) || !approx(r.SE, 0.0360555, 1e-7) || !approx(r.Lower(0.05), 0.1-q*r.SE, 1e-12) {
		t.Errorf("SE=%v lower=%v", r.SE, r.Lower(0.05))
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings %v", r.Warnings)
	}
}

func TestHistoryFewRuns(t *testing.T) {
	r, err := History(0.1, 0.01, []float64{0, 0.02})
	if err != nil || r.Judgeable || !hasWarning(r.Warnings, WarnNotJudgeable) || !(r.DF > BetweenDF(2) && r.DF <= 1) {
		t.Errorf("2 runs: %+v %v", r, err)
	}
	r, err = History(0.1, 0.01, []float64{0.02})
	if err != nil || r.Judgeable || !math.IsInf(r.Lower(0.05), -1) || !math.IsInf(r.Upper(0.05), 1) || r.PExceeds(0) != 1 {
		t.Errorf("1 run: %+v %v", r, err)
	}
	if !approx(r.Effect, 0.08, 1e-15) {
		t.Errorf("1 run: change %v, want 0.08", r.Effect)
	}
	r, _ = History(0.1, 0, []float64{0.02})
	if !math.IsInf(r.Lower(0.05), -1) || !math.IsInf(r.Upper(0.05), 1) || !math.IsInf(r.MDE(0.05, 0.03, 0.95), 1) {
		t.Errorf("1 run, zero SE: %v %v", r.Lower(0.05), r.Upper(0.05))
	}
	if _, err := History(0.1, 0.01, nil); !errors.Is(err, ErrNoData) {
		t.Errorf("no runs: %v", err)
	}
	if _, err := History(math.NaN(), 0.01, []float64{0, 1, 2}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN: %v", err)
	}
	if _, err := History(0, -1, []float64{0, 1, 2}); !errors.Is(err, ErrDomain) {
		t.Errorf("negative se: %v", err)
	}
}

// TestHistoryPredictionCoverage: when the new run comes from the same
// distribution as the N = 10 stored runs, the 95% upper prediction bound on
// x - m is exceeded by the truth (0) at most 5% of the time, seeded: for
// normal runs (where the heavy-tail allowance makes it conservative, about
// 2.5%) and for runs whose deployments have Student-t(3) tails, the
// allowance's reason (a normal reference exceeds 5% there).
func TestHistoryPredictionCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	t3 := func() float64 { // unit variance
		var c float64
		for range 3 {
			g := rng.NormFloat64()
			c += g * g
		}
		return rng.NormFloat64() / math.Sqrt(c/3) / math.Sqrt(3)
	}
	for _, tc := range []struct {
		name   string
		draw   func() float64
		lo, hi float64
	}{{"normal", rng.NormFloat64, 0.95, 0.99}, {"student-t(3)", t3, 0.95, 0.99}} {
		const trials, n, s = 4000, 10, 0.07
		hist := make([]float64, n)
		covered := 0
		for trial := 0; trial < trials; trial++ {
			for i := range hist {
				hist[i] = s * tc.draw()
			}
			r, err := History(s*tc.draw(), 0, hist)
			if err != nil {
				t.Fatal(err)
			}
			if r.Lower(0.05) <= 0 {
				covered++
			}
		}
		rate := float64(covered) / trials
		t.Logf("%s: coverage %.4f", tc.name, rate)
		if rate < tc.lo || rate > tc.hi {
			t.Errorf("%s: prediction coverage %.3f, want [%.2f, %.2f]", tc.name, rate, tc.lo, tc.hi)
		}
	}
}

func TestJackknife(t *testing.T) {
	// For the mean, the jackknife SE equals s/sqrt(n) exactly (Efron & Tibshirani,
	// An Introduction to the Bootstrap, §11.2).
	x := []float64{3, 1, 4, 1, 5, 9, 2, 6}
	mean, sd := meanSD(x)
	est, se, err := Jackknife(len(x), func(excluded int) float64 {
		var s float64
		for i, v := range x {
			if i != excluded {
				s += v
			}
		}
		return s / float64(len(x)-1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !approx(est, mean, 1e-12) || !approx(se, sd/math.Sqrt(float64(len(x))), 1e-12) {
		t.Errorf("jackknife %v %v, want %v %v", est, se, mean, sd/math.Sqrt(float64(len(x))))
	}
	if _, _, err := Jackknife(1, func(int) float64 { return 0 }); !errors.Is(err, ErrTooFew) {
		t.Errorf("n=1: %v", err)
	}
	if _, _, err := Jackknife(3, nil); !errors.Is(err, ErrDomain) {
		t.Errorf("nil: %v", err)
	}
	if _, _, err := Jackknife(3, func(int) float64 { return math.NaN() }); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN: %v", err)
	}
}
