package stats

import (
	"math"
	"slices"
)

// Defaults of the paired (duet) estimate.
const (
	// MinAARuns is the number of stored A/A runs below which Paired does
	// not trust the learned between-deployment variance alone: it uses
	// max(learned, prior) and warns.
	MinAARuns = 5
	// DefaultPriorTau2 is the prior for the between-deployment variance τ²
	// of a paired mean log-ratio when fewer than MinAARuns A/A runs exist:
	// (0.12)². Two deployments whose speeds differ by a lognormal factor
	// of σ = 5% each (a large but common difference between pods of the
	// same image) differ by √2·5% at the server, and queueing at half load
	// amplifies a service-time factor about 1.7× in the latencies: τ ≈
	// 0.12 (docs/statistics.md). A smaller prior made uncalibrated A/A runs
	// FAIL; calibration replaces it.
	DefaultPriorTau2 = 0.12 * 0.12
	// TailDF is the number of degrees of freedom that stands for the heavy
	// tails of deployment differences. A Student-t of ν degrees of freedom
	// is a normal whose variance is known only to ν degrees of freedom (a
	// scaled inverse-χ² mixture), so a deployment effect with t tails
	// enters the Welch–Satterthwaite sum like a variance estimated from ν
	// values: 1/ν_between = 1/(N−1) + 1/TailDF (BetweenDF). Now and then a
	// deployment lands on a bad node or a throttled GPU several sigmas off,
	// which no normal model allows: with a Student-t(3) per-deployment shift
	// the normal reference gave 1.3–1.7% false FAILs however many A/A runs
	// there were (docs/evaluation.md); 5 left them at 1.0–1.3%, 4 is what
	// Lange, Little and Taylor (1989) recommend for a robust t model.
	TailDF = 4
	// MaxLag1 is the lag-1 autocorrelation of window statistics above
	// which windows are considered dependent (WarnAutocorrelated).
	MaxLag1 = 0.2
)

// DFMethod selects how Paired sets the degrees of freedom of its t
// reference distribution when τ² is learned from A/A runs.
type DFMethod int

const (
	// DFMin uses min(W-1, N_AA-1): conservative, the method card's choice.
	DFMin DFMethod = iota
	// DFWelch uses the Welch-Satterthwaite approximation
	// (a+b)² / (a²/(W-1) + b²/(N_AA-1)) with a = s²/W and b = τ²; it lies
	// between min(W-1, N_AA-1) and W-1+N_AA-1 and tends to W-1 when τ²
	// is negligible next to s²/W.
	DFWelch
)

// PairedInput is the input of Paired.
type PairedInput struct {
	// D holds the per-window log-ratios ln(candidate_w/baseline_w) in
	// window order, sign-flipped for higher-is-better metrics so that
	// positive is worse. At least 2 values.
	D []float64
	// Tau2 is the between-deployment variance τ² >= 0 of the mean
	// log-ratio, as returned by TauSquared.
	Tau2 float64
	// NAA is the number of A/A runs Tau2 was learned from (0 if none).
	NAA int
	// PriorTau2 is the prior τ² used when NAA < MinAARuns; 0 means
	// DefaultPriorTau2.
	PriorTau2 float64
	// DF selects the degrees-of-freedom rule; the zero value is DFMin.
	DF DFMethod
	// Trim, in [0, 0.5), makes the within-run estimate a trimmed mean
	// (g = floor(Trim·W) windows cut from each end; the Tukey–McLaughlin
	// standard error s_w/((1−2·Trim)·√W) from the winsorized standard
	// deviation s_w, conservative when g < Trim·W; W−2g−1 degrees of
	// freedom for the within-run part), robust to a few windows hit by a
	// rare stall in one arm. 0 is the plain mean.
	Trim float64
}

// PairedResult is a paired (duet) estimate. Its embedded Estimate has
// Effect = d̄ (mean log-ratio), SE = sqrt(s_d²/W + τ²) and the chosen DF, so
// Lower, Upper, PExceeds and MDE apply directly.
type PairedResult struct {
	Estimate
	// SD is the sample standard deviation s_d of the window log-ratios
	// (with Trim: s_w/(1−2·Trim), so that SD/√W is the trimmed mean's
	// standard error).
	SD float64
	// W is the number of windows.
	W int
	// Tau2 is the τ² actually used (learned or prior).
	Tau2 float64
	// PriorUsed reports whether Tau2 is the prior rather than the learned
	// value.
	PriorUsed bool
	// Lag1 is the lag-1 autocorrelation of D, in [-1,1] (see Lag1).
	Lag1 float64
	// Warnings lists caveats (WarnNoAA, WarnAutocorrelated).
	Warnings []error
}

// Paired computes the paired (duet) estimate of the change from the
// per-window log-ratios: d̄, s_d, SE = sqrt(s_d²/W + τ²) and DF (with
// in.Trim, d̄ is the trimmed mean, s_d as PairedResult.SD says, and W−1
// becomes W−2g−1 below).
//
// When NAA >= MinAARuns, τ² = in.Tau2 and DF = min(W-1, BetweenDF(NAA))
// (or Welch-Satterthwaite with DFWelch). When NAA < MinAARuns, τ² =
// max(in.Tau2, prior) with a WarnNoAA warning; if the prior wins (always
// when NAA < 2) it is treated as known up to its heavy tails: DF = W-1
// with DFMin, and with DFWelch (s²/W+τ²)²/((s²/W)²/(W-1) + τ⁴/TailDF);
// a learned value above the prior gets the same degrees of freedom
// (min(W-1, TailDF) with DFMin). A lag-1 autocorrelation above MaxLag1
// adds WarnAutocorrelated.
//
// Paired returns ErrTooFew for fewer than 2 windows, ErrNotFinite for a
// NaN or infinite input and ErrDomain for a negative or NaN Tau2 or
// PriorTau2, or a negative NAA.
func Paired(in PairedInput) (PairedResult, error) {
	var r PairedResult
	w := len(in.D)
	if w < 2 {
		return r, errf(ErrTooFew, "paired estimate needs at least 2 windows, got %d", w)
	}
	if !finite(in.D) {
		return r, ErrNotFinite
	}
	if !(in.Tau2 >= 0) || math.IsInf(in.Tau2, 0) || !(in.PriorTau2 >= 0) || math.IsInf(in.PriorTau2, 0) || in.NAA < 0 {
		return r, errf(ErrDomain, "tau2=%v prior=%v nAA=%d", in.Tau2, in.PriorTau2, in.NAA)
	}
	if !(in.Trim >= 0 && in.Trim < 0.5) {
		return r, errf(ErrDomain, "trim=%v", in.Trim)
	}
	mean, sd, h := trimmedMeanSD(in.D, in.Trim)
	r.Effect, r.SD, r.W = mean, sd, w
	r.Lag1 = Lag1(in.D)
	if r.Lag1 > MaxLag1 {
		r.Warnings = append(r.Warnings, warnf(WarnAutocorrelated, "lag-1 autocorrelation %.2f > %.2f over %d windows: lengthen the windows", r.Lag1, MaxLag1, w))
	}

	a := sd * sd / float64(w)
	dfW := float64(h - 1)
	r.Tau2 = in.Tau2
	learnedDF := func() float64 {
		dfAA := BetweenDF(in.NAA)
		if in.DF == DFWelch {
			b := r.Tau2
			if a+b == 0 {
				return dfW
			}
			return (a + b) * (a + b) / (a*a/dfW + b*b/dfAA)
		}
		return math.Min(dfW, dfAA)
	}
	if in.NAA < MinAARuns {
		prior := in.PriorTau2
		if prior == 0 {
			prior = DefaultPriorTau2
		}
		// The prior is an assumption, not an estimate: it has no sampling
		// error, only the heavy tails of deployment differences (TailDF).
		// A τ̂ above the prior from 2–4 records is used as the scale with
		// the prior's degrees of freedom: never less safe than the prior
		// alone (its variance is larger), and its own 1–3 degrees of
		// freedom gave t quantiles in the tens, MDEs of +10⁶%.
		r.Tau2 = in.Tau2
		if in.NAA < 2 || prior >= in.Tau2 {
			r.Tau2, r.PriorUsed = prior, true
		}
		r.DF = math.Min(dfW, TailDF)
		if in.DF == DFWelch {
			r.DF = WelchDF(a, dfW, r.Tau2, TailDF)
		}
		source := "learned, above the prior"
		if r.PriorUsed {
			source = "prior"
		}
		r.Warnings = append(r.Warnings, warnf(WarnNoAA, "%d A/A runs (< %d): τ = %.4f on the log scale (%s)", in.NAA, MinAARuns, math.Sqrt(r.Tau2), source))
	} else {
		r.DF = learnedDF()
	}
	r.SE = math.Sqrt(a + r.Tau2)
	return r, nil
}

// BetweenDF returns the degrees of freedom of a between-deployment
// variance learned from n deployments (A/A runs, or stored runs of the base
// branch): its sampling error (n−1) and the heavy tails of deployment
// differences (TailDF) combined as Welch–Satterthwaite combines variances,
// 1/(1/(n−1) + 1/TailDF). It is 0 for n < 2 (nothing learned).
func BetweenDF(n int) float64 {
	if n < 2 {
		return 0
	}
	return 1 / (1/float64(n-1) + 1.0/TailDF)
}

// TotalDF returns the degrees of freedom of the whole null variance
// within + between of a paired comparison when it is the spread of n A/A
// runs' own estimates: one sample variance, known to n−1 degrees of
// freedom, whose between-deployment part also has the heavy tails of
// deployments (TailDF): 1/df = 1/(n−1) + (between/total)²/TailDF. It is n−1
// when the spread is all within-run noise and BetweenDF(n) when it is all
// between deployments; 0 for n < 2.
func TotalDF(n int, within, between float64) float64 {
	if n < 2 {
		return 0
	}
	within, between = max(within, 0), max(between, 0)
	share := 0.0
	if t := within + between; t > 0 {
		share = between / t
	}
	return 1 / (1/float64(n-1) + share*share/TailDF)
}

// WelchDF returns the Welch–Satterthwaite degrees of freedom of a sum a + b
// of independent variance estimates known to dfA and dfB degrees of
// freedom: (a+b)²/(a²/dfA + b²/dfB); dfA when both are 0.
func WelchDF(a, dfA, b, dfB float64) float64 {
	if a+b == 0 {
		return dfA
	}
	return (a + b) * (a + b) / (a*a/dfA + b*b/dfB)
}

// Lag1 returns the lag-1 autocorrelation of the series x,
// sum_{t=1}^{n-1} (x_t - x̄)(x_{t+1} - x̄) / sum_t (x_t - x̄)², in [-1,1].
// It returns 0 for fewer than 3 values or a series with zero variance
// (nothing to correlate). The estimate is biased by about -1/n, so small
// positive values on short series understate dependence.
func Lag1(x []float64) float64 {
	n := len(x)
	if n < 3 || !finite(x) {
		return 0
	}
	mean, _ := meanSD(x)
	var num, den float64
	for t := 0; t < n; t++ {
		dt := x[t] - mean
		den += dt * dt
		if t+1 < n {
			num += dt * (x[t+1] - mean)
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// PairedSummary summarises one paired run: the mean Mean and sample
// standard deviation SD of its W per-window log-ratios. Stored A/A runs are
// kept in this form for TauSquared.
type PairedSummary struct {
	Mean float64
	SD   float64
	W    int
}

// Summarize returns the PairedSummary of the per-window log-ratios d, or
// ErrTooFew for fewer than 2 values and ErrNotFinite for NaN or infinite
// ones.
func Summarize(d []float64) (PairedSummary, error) {
	if len(d) < 2 {
		return PairedSummary{}, errf(ErrTooFew, "summary needs at least 2 windows, got %d", len(d))
	}
	if !finite(d) {
		return PairedSummary{}, ErrNotFinite
	}
	m, s := meanSD(d)
	return PairedSummary{Mean: m, SD: s, W: len(d)}, nil
}

// SummarizeTrimmed is Summarize for a paired estimate with PairedInput.Trim
// = trim: Mean is the trimmed mean and SD the standard deviation that gives
// its standard error as SD/√W, so TauSquared learns τ² on the same
// estimator the check uses.
func SummarizeTrimmed(d []float64, trim float64) (PairedSummary, error) {
	if len(d) < 2 {
		return PairedSummary{}, errf(ErrTooFew, "summary needs at least 2 windows, got %d", len(d))
	}
	if !finite(d) {
		return PairedSummary{}, ErrNotFinite
	}
	if !(trim >= 0 && trim < 0.5) {
		return PairedSummary{}, errf(ErrDomain, "trim=%v", trim)
	}
	m, s, _ := trimmedMeanSD(d, trim)
	return PairedSummary{Mean: m, SD: s, W: len(d)}, nil
}

// trimmedMeanSD returns the trimmed mean of x (g = floor(trim·n) values cut
// from each end, none when that would leave fewer than 2), the standard
// deviation sd that makes sd/√n the Tukey–McLaughlin standard error of
// that mean, s_w / ((1−2·trim)·√n) with s_w the winsorized standard
// deviation (Wilcox, Introduction to Robust Estimation, 3.3; the
// reference for its t test has h−1 degrees of freedom), and h = n−2g, the
// values kept. With trim 0 it is the mean, the sample standard deviation
// and n.
func trimmedMeanSD(x []float64, trim float64) (mean, sd float64, h int) {
	n := len(x)
	g := int(math.Floor(trim * float64(n)))
	if g == 0 || n-2*g < 2 {
		m, s := meanSD(x)
		return m, s, n
	}
	y := append([]float64(nil), x...)
	slices.Sort(y)
	h = n - 2*g
	mean, _ = meanSD(y[g : n-g])
	for i := 0; i < g; i++ {
		y[i], y[n-1-i] = y[g], y[n-1-g]
	}
	_, sw := meanSD(y)
	return mean, sw / (1 - 2*trim), h
}

// TauSquared estimates the between-deployment variance τ² of a paired mean
// log-ratio from stored A/A (same commit on both arms) runs, by the method
// of moments: τ̂² = max(0, var(d̄_AA) - mean(s²_AA/W)), where var is the
// sample variance (n-1 denominator) of the runs' means and the second term
// is the average within-run variance of a mean. It returns τ̂² >= 0 (log
// scale squared) and n, the number of runs used.
//
// Summaries with W < 2, a negative SD or non-finite values are skipped with
// a WarnDropped warning. With n < 2 usable runs τ̂² is 0 and a WarnNoAA
// warning is returned; Paired then falls back to its prior.
func TauSquared(aa []PairedSummary) (tau2 float64, n int, warnings []error) {
	means := make([]float64, 0, len(aa))
	var within float64
	dropped := 0
	for _, s := range aa {
		if s.W < 2 || !(s.SD >= 0) || math.IsInf(s.SD, 0) || math.IsNaN(s.Mean) || math.IsInf(s.Mean, 0) {
			dropped++
			continue
		}
		means = append(means, s.Mean)
		within += s.SD * s.SD / float64(s.W)
	}
	if dropped > 0 {
		warnings = append(warnings, warnf(WarnDropped, "%d unusable A/A summaries skipped", dropped))
	}
	n = len(means)
	if n < 2 {
		warnings = append(warnings, warnf(WarnNoAA, "%d usable A/A runs: τ² cannot be estimated", n))
		return 0, n, warnings
	}
	_, sd := meanSD(means)
	tau2 = math.Max(0, sd*sd-within/float64(n))
	return tau2, n, warnings
}

// meanSD returns the mean and the sample standard deviation (n-1
// denominator, 0 for a single value) of x, which must be non-empty.
func meanSD(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}

// finite reports whether every value of x is neither NaN nor infinite.
func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
