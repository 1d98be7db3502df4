package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestPairedConstructed(t *testing.T) {
	// By hand: mean 0.03; deviations -0.02 0 -0.01 0.01 0.02 0, sum of
	// squares 0.001, s² = 0.0002; SE = sqrt(0.0002/6 + 0.0001) =
	// sqrt(0.000133333) = 0.0115470; df = min(6-1, BetweenDF(10)) =
	// 1/(1/9 + 1/4) = 36/13 = 2.7692308 (ten A/A runs, and the heavy tails
	// of deployment differences); t(36/13, 0.95) = 2.43551 (numerical
	// integration), so the 95% bounds are 0.03 ∓ 0.028123.
	in := PairedInput{D: []float64{0.01, 0.03, 0.02, 0.04, 0.05, 0.03}, Tau2: 0.0001, NAA: 10}
	r, err := Paired(in)
	if err != nil {
		t.Fatal(err)
	}
	if !approx(r.Effect, 0.03, 1e-15) || !approx(r.SD, math.Sqrt(0.0002), 1e-15) || r.W != 6 || !approx(r.DF, 36.0/13, 1e-12) || r.PriorUsed {
		t.Errorf("got %+v", r)
	}
	if !approx(r.SE, 0.0115470, 1e-7) {
		t.Errorf("SE=%v, want 0.0115470", r.SE)
	}
	if q := TQuantile(36.0/13, 0.95); !approx(q, 2.43551, 1e-5) || !approx(r.Lower(0.05), 0.03-q*r.SE, 1e-12) || !approx(r.Upper(0.05), 0.03+q*r.SE, 1e-12) {
		t.Errorf("t quantile %v, bounds %v %v", q, r.Lower(0.05), r.Upper(0.05))
	}
	// MDE = 0.03 + (t(36/13, 0.95) + 1.644854)·0.0115470.
	if got, want := r.MDE(0.05, 0.03, 0.95), 0.03+(2.43551+1.644854)*0.0115470; !approx(got, want, 1e-6) {
		t.Errorf("MDE=%v, want %v", got, want)
	}
	// The p-value of H0: effect <= Lower(a) is a.
	for _, a := range []float64{0.01, 0.05, 0.2} {
		if p := r.PExceeds(r.Lower(a)); !approx(p, a, 1e-9) {
			t.Errorf("PExceeds(Lower(%v)) = %v", a, p)
		}
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings %v", r.Warnings)
	}

	// DFWelch: a = 0.0002/6, b = 0.0001, df = (a+b)²/(a²/5 + b²/(36/13)).
	in.DF = DFWelch
	r, _ = Paired(in)
	a, b := 0.0002/6, 0.0001
	if want := (a + b) * (a + b) / (a*a/5 + b*b/(36.0/13)); !approx(r.DF, want, 1e-12) || r.DF < 36.0/13 {
		t.Errorf("Welch df=%v, want %v", r.DF, want)
	}
}

// TestBetweenDF: the sampling error of τ̂ and the heavy tails of deployment
// differences add as Welch–Satterthwaite adds variances; many A/A runs
// approach TailDF, never more.
func TestBetweenDF(t *testing.T) {
	for _, c := range []struct {
		n    int
		want float64
	}{{0, 0}, {1, 0}, {2, 1 / (1 + 1.0/TailDF)}, {5, 1 / (0.25 + 1.0/TailDF)}, {1 << 20, TailDF}} {
		if got := BetweenDF(c.n); !approx(got, c.want, 1e-4) {
			t.Errorf("BetweenDF(%d) = %v, want %v", c.n, got, c.want)
		}
	}
}

func TestPairedPrior(t *testing.T) {
	d := []float64{0.01, 0.03, 0.02, 0.04, 0.05, 0.03}
	r, err := Paired(PairedInput{D: d})
	if err != nil {
		t.Fatal(err)
	}
	if !r.PriorUsed || r.Tau2 != DefaultPriorTau2 || r.DF != min(5, TailDF) || !hasWarning(r.Warnings, WarnNoAA) {
		t.Errorf("no A/A: %+v", r)
	}
	// Three A/A runs with a learned τ² above the prior: learned value, the
	// prior's df min(5, TailDF), and still a warning.
	r, _ = Paired(PairedInput{D: d, Tau2: 0.03, NAA: 3})
	if r.PriorUsed || r.Tau2 != 0.03 || r.DF != TailDF || !hasWarning(r.Warnings, WarnNoAA) {
		t.Errorf("3 A/A runs: %+v", r)
	}
	// With Welch-Satterthwaite the prior, an assumption with no sampling
	// error, has only the heavy tails of deployments: df =
	// (a+τ²)²/(a²/(W-1) + τ⁴/TailDF).
	r, _ = Paired(PairedInput{D: d, DF: DFWelch})
	a := r.SD * r.SD / 6
	p2 := DefaultPriorTau2 * DefaultPriorTau2
	if want := (a + DefaultPriorTau2) * (a + DefaultPriorTau2) / (a*a/5 + p2/TailDF); !r.PriorUsed || !approx(r.DF, want, 1e-9) || r.DF <= TailDF {
		t.Errorf("Welch with the prior: df %v, want %v", r.DF, want)
	}
	// A custom prior.
	r, _ = Paired(PairedInput{D: d, NAA: 1, PriorTau2: 0.05})
	if r.Tau2 != 0.05 || !r.PriorUsed {
		t.Errorf("custom prior: %+v", r)
	}
}

func TestPairedBadInput(t *testing.T) {
	for _, in := range []PairedInput{
		{D: nil},
		{D: []float64{0.1}},
	} {
		if _, err := Paired(in); !errors.Is(err, ErrTooFew) {
			t.Errorf("%v: %v", in.D, err)
		}
	}
	if _, err := Paired(PairedInput{D: []float64{0.1, math.NaN()}}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN: %v", err)
	}
	if _, err := Paired(PairedInput{D: []float64{0.1, 0.2}, Tau2: -1}); !errors.Is(err, ErrDomain) {
		t.Errorf("negative tau2: %v", err)
	}
	if _, err := Paired(PairedInput{D: []float64{0.1, 0.2}, Tau2: math.NaN()}); !errors.Is(err, ErrDomain) {
		t.Errorf("NaN tau2: %v", err)
	}
}

func TestLag1(t *testing.T) {
	if got := Lag1([]float64{1, -1, 1, -1, 1, -1}); got > -0.8 {
		t.Errorf("alternating: %v, want near -1", got)
	}
	if got := Lag1([]float64{1, 1, 1}); got != 0 {
		t.Errorf("constant: %v", got)
	}
	if got := Lag1([]float64{1, 2}); got != 0 {
		t.Errorf("short: %v", got)
	}
	// AR(1) with rho = 0.6, seeded: the estimate is near 0.6.
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float64, 5000)
	for i := 1; i < len(x); i++ {
		x[i] = 0.6*x[i-1] + rng.NormFloat64()
	}
	if got := Lag1(x); !approx(got, 0.6, 0.05) {
		t.Errorf("AR(1): %v, want 0.6", got)
	}
	// A drifting window series is flagged.
	drift := []float64{0.00, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.11}
	r, err := Paired(PairedInput{D: drift, Tau2: 0, NAA: 10})
	if err != nil || !hasWarning(r.Warnings, WarnAutocorrelated) || r.Lag1 <= MaxLag1 {
		t.Errorf("drift: lag1=%v warnings=%v err=%v", r.Lag1, r.Warnings, err)
	}
}

// simulateRun returns W per-window log-ratios of one paired run: a shared
// between-deployment offset u ~ N(0, tau²) plus independent window noise.
func simulateRun(rng *rand.Rand, w int, mu, tau, sigma float64) []float64 {
	u := tau * rng.NormFloat64()
	d := make([]float64, w)
	for i := range d {
		d[i] = mu + u + sigma*rng.NormFloat64()
	}
	return d
}

func TestTauSquaredSimulated(t *testing.T) {
	const tau, sigma, w = 0.03, 0.05, 12
	rng := rand.New(rand.NewPCG(9, 10))
	aa := make([]PairedSummary, 400)
	for i := range aa {
		s, err := Summarize(simulateRun(rng, w, 0, tau, sigma))
		if err != nil {
			t.Fatal(err)
		}
		aa[i] = s
	}
	tau2, n, warns := TauSquared(aa)
	if n != 400 || len(warns) != 0 {
		t.Fatalf("n=%d warnings=%v", n, warns)
	}
	// Sampling SD of var(d̄) over 400 runs is about 7%; allow 25%.
	if !approx(tau2, tau*tau, 0.25*tau*tau) {
		t.Errorf("tau2=%v, want %v", tau2, tau*tau)
	}
	// No between-deployment variance: the estimate is near 0, never below.
	for i := range aa {
		aa[i], _ = Summarize(simulateRun(rng, w, 0, 0, sigma))
	}
	if tau2, _, _ := TauSquared(aa); tau2 < 0 || tau2 > 0.1*sigma*sigma/w {
		t.Errorf("tau=0: tau2=%v", tau2)
	}
}

func TestTauSquaredBadInput(t *testing.T) {
	tau2, n, warns := TauSquared(nil)
	if tau2 != 0 || n != 0 || !hasWarning(warns, WarnNoAA) {
		t.Errorf("nil: %v %v %v", tau2, n, warns)
	}
	tau2, n, warns = TauSquared([]PairedSummary{{Mean: 0.01, SD: 0.02, W: 12}, {Mean: math.NaN(), SD: 0.02, W: 12}, {Mean: 0.03, SD: 0.02, W: 1}, {Mean: -0.01, SD: 0.02, W: 12}})
	// Two usable runs: var(0.01, -0.01) = 0.0002, minus 0.0004/12.
	if n != 2 || !approx(tau2, 0.0002-0.0004/12, 1e-15) || !hasWarning(warns, WarnDropped) {
		t.Errorf("mixed: %v %v %v", tau2, n, warns)
	}
}

// TestPairedCoverage is a seeded Monte Carlo guard: with W = 12 windows,
// τ learned from 10 A/A runs per trial, the one-sided 95% lower bound must
// lie below the true effect in about 95% of runs (the estimate is
// conservative through df = min(W-1, N_AA-1)), and the 95% upper bound above
// it as often.
func TestPairedCoverage(t *testing.T) {
	const (
		trials = 2000
		w      = 12
		naa    = 10
		mu     = 0.05
		tau    = 0.02
		sigma  = 0.04
		alpha  = 0.05
	)
	rng := rand.New(rand.NewPCG(11, 12))
	var lowerOK, upperOK int
	aa := make([]PairedSummary, naa)
	for trial := 0; trial < trials; trial++ {
		for i := range aa {
			aa[i], _ = Summarize(simulateRun(rng, w, 0, tau, sigma))
		}
		tau2, n, _ := TauSquared(aa)
		r, err := Paired(PairedInput{D: simulateRun(rng, w, mu, tau, sigma), Tau2: tau2, NAA: n})
		if err != nil {
			t.Fatal(err)
		}
		if r.Lower(alpha) <= mu {
			lowerOK++
		}
		if r.Upper(alpha) >= mu {
			upperOK++
		}
	}
	for name, ok := range map[string]int{"lower": lowerOK, "upper": upperOK} {
		rate := float64(ok) / trials
		t.Logf("%s coverage %.4f", name, rate)
		if rate < 0.92 || rate > 0.995 {
			t.Errorf("%s bound coverage %.3f, want about 0.95", name, rate)
		}
	}
}

// TestTrimmedMean checks the 20% trimmed mean and its standard error
// against Wilcox's worked example (Introduction to Robust Estimation and
// Hypothesis Testing: trimmed mean 282.7, standard error 56.1).
func TestTrimmedMean(t *testing.T) {
	x := []float64{77, 87, 88, 114, 151, 210, 219, 246, 253, 262, 296, 299, 306, 376, 428, 515, 666, 1310, 2611}
	m, sd, h := trimmedMeanSD(x, 0.2)
	if se := sd / math.Sqrt(float64(len(x))); math.Abs(m-282.69) > 0.01 || math.Abs(se-56.13) > 0.01 || h != 13 {
		t.Errorf("trimmed mean %.2f se %.2f h %d; want 282.69, 56.13, 13", m, se, h)
	}
	// One wild window of twelve moves the trimmed estimate little and its
	// standard error less than the plain mean's.
	d := []float64{0.01, -0.02, 0.03, 0, -0.01, 0.02, -0.03, 0.01, 0, 0.02, -0.01, 1.5}
	plain, err := Paired(PairedInput{D: d, Tau2: 0, NAA: 10})
	if err != nil {
		t.Fatal(err)
	}
	trim, err := Paired(PairedInput{D: d, Tau2: 0, NAA: 10, Trim: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(trim.Effect) < 0.02 && trim.SE < plain.SE/5 && trim.DF == math.Min(7, BetweenDF(10))) {
		t.Errorf("trimmed %+v vs plain %+v", trim.Estimate, plain.Estimate)
	}
	s, err := SummarizeTrimmed(d, 0.2)
	if err != nil || s.Mean != trim.Effect || s.SD != trim.SD {
		t.Errorf("SummarizeTrimmed %+v, %v", s, err)
	}
	if _, err := Paired(PairedInput{D: d, Trim: 0.5}); err == nil {
		t.Error("trim 0.5 accepted")
	}
}

// TestTotalDF: an A/A spread that is all within-run noise keeps its n−1
// degrees of freedom, all between-deployment spread gets BetweenDF(n), a
// mixture lies between (never above n−1: it is one sample variance).
func TestTotalDF(t *testing.T) {
	if got := TotalDF(10, 1, 0); got != 9 {
		t.Errorf("within only: %v, want 9", got)
	}
	if got := TotalDF(10, 0, 1); !approx(got, BetweenDF(10), 1e-12) {
		t.Errorf("between only: %v, want %v", got, BetweenDF(10))
	}
	if got := TotalDF(10, 1, 1); !(got > BetweenDF(10) && got < 9) {
		t.Errorf("half and half: %v", got)
	}
	if TotalDF(1, 1, 1) != 0 {
		t.Error("one run has degrees of freedom")
	}
}
