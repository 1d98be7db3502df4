package stats

import "math"

// MinHistory is the number of stored runs below which History reports the
// change but marks it not judgeable.
const MinHistory = 3

// HistoryResult compares one run with the stored runs of the default
// branch. Its embedded Estimate has Effect = x - m, SE = sqrt(s²·(1+1/N) +
// se_x²) and DF = N-1, so Lower and Upper are prediction bounds for a new
// run's deviation from the history mean, widened by this run's own sampling
// error.
type HistoryResult struct {
	Estimate
	// N is the number of stored runs.
	N int
	// Mean and SD are the mean m and sample standard deviation s of the
	// stored runs' log statistics (SD is 0 when N is 1).
	Mean, SD float64
	// SEX is this run's own standard error as given.
	SEX float64
	// Judgeable is false when N < MinHistory: the change is to be
	// reported, never to fail or pass the gate.
	Judgeable bool
	// Warnings lists caveats (WarnNotJudgeable).
	Warnings []error
}

// History compares x, the log of this run's statistic, whose own standard
// error is seX >= 0 (for example from Jackknife over windows), with hist,
// the logs of the same statistic in the last N stored runs.
//
// The bound on x - m uses t(TotalDF(N, seX², s² − seX²)) · sqrt(s²·(1+1/N) + seX²): s² already
// holds the run-to-run variance, including each stored run's sampling
// noise, and 1/N accounts for the uncertainty of m. With N < MinHistory the
// result is not judgeable (WarnNotJudgeable); with N == 1 DF is 0, so the
// bounds are infinite and PExceeds is 1.
//
// History returns ErrNoData for an empty hist, ErrNotFinite for a NaN or
// infinite input and ErrDomain for a negative seX.
func History(x, seX float64, hist []float64) (HistoryResult, error) {
	var r HistoryResult
	if len(hist) == 0 {
		return r, errf(ErrNoData, "no stored runs to compare with")
	}
	if !finite(hist) || !finite([]float64{x, seX}) {
		return r, ErrNotFinite
	}
	if seX < 0 {
		return r, errf(ErrDomain, "negative standard error %v", seX)
	}
	n := len(hist)
	r.N, r.SEX = n, seX
	r.Mean, r.SD = meanSD(hist)
	r.Effect = x - r.Mean
	// The stored runs' spread s² holds their own within-run noise (about
	// this run's seX², not heavy-tailed) and the differences between
	// deployments and times (heavy-tailed): TotalDF weighs the tails by
	// the between share.
	within := math.Min(seX*seX, r.SD*r.SD)
	r.DF = TotalDF(n, within, r.SD*r.SD-within)
	r.SE = math.Sqrt(r.SD*r.SD*(1+1/float64(n)) + seX*seX)
	r.Judgeable = n >= MinHistory
	if !r.Judgeable {
		r.Warnings = append(r.Warnings, warnf(WarnNotJudgeable, "%d stored runs (< %d): change reported, not judged", n, MinHistory))
	}
	return r, nil
}
