package gate

import (
	"math"
	"time"

	"github.com/perfgate/perfgate/gate/stats"
)

// Noise is what the uncertainty of a judged regression check is made of,
// on the log scale: the parts of its standard error that a longer run, a
// higher rate, more replicas per arm or more calibration would shrink. It
// is what Advice and perfgate plan compute with (docs/statistics.md,
// "Power planning").
type Noise struct {
	// SE is the standard error of the change, DF the degrees of freedom of
	// its t reference and Alpha the one-sided level the check was judged
	// at (Holm's α_m): MDE = ln(1+δ) + (t(DF, 1−Alpha) + z(0.95))·SE.
	SE    float64 `json:"se"`
	DF    float64 `json:"df"`
	Alpha float64 `json:"alpha"`
	// WithinSE is the part of SE from the run's own windows:
	// SE² = WithinSE² + Tau² in paired mode, WithinSE² + HistorySD²·(1+1/N)
	// in history mode.
	WithinSE float64 `json:"within_se"`
	// Tau is the between-deployment standard deviation a paired check used,
	// TauSource "learned" (from AARuns stored A/A records) or "prior".
	Tau       float64 `json:"tau"`
	TauSource string  `json:"tau_source"`
	AARuns    int     `json:"aa_runs"`
	// HistorySD is the spread of the stored runs' log values and
	// HistoryRuns their number N, in history mode.
	HistorySD   float64 `json:"history_sd"`
	HistoryRuns int     `json:"history_runs"`
}

// Sources of τ.
const (
	TauLearned = "learned"
	TauPrior   = "prior"
)

// pairedNoise is the noise of a paired check whose estimate pr used the
// A/A statistics aa.
func pairedNoise(pr stats.PairedResult, aa aaStats) *Noise {
	n := &Noise{Tau: math.Sqrt(pr.Tau2), TauSource: TauLearned, AARuns: aa.n}
	if pr.PriorUsed {
		n.TauSource = TauPrior
	}
	return n
}

// learnedNoise is the noise of a paired check whose standard error is the
// whole spread of the A/A runs' estimates (a pooled percentile).
func learnedNoise(aa aaStats) *Noise {
	return &Noise{Tau: math.Sqrt(aa.tau2), TauSource: TauLearned, AARuns: aa.n}
}

// historyNoise is the noise of a check against stored runs.
func historyNoise(hr stats.HistoryResult) *Noise {
	return &Noise{HistorySD: hr.SD, HistoryRuns: hr.N}
}

// judged completes n with the estimate e the check was judged on at level
// alpha. A nil n is left alone.
func (n *Noise) judged(e stats.Estimate, alpha float64) {
	if n == nil {
		return
	}
	n.SE, n.DF, n.Alpha = e.SE, e.DF, alpha
	n.WithinSE = math.Sqrt(math.Max(0, e.SE*e.SE-n.betweenVar()))
}

// betweenVar is the part of SE² that the run's own windows do not hold.
func (n *Noise) betweenVar() float64 {
	if n.HistoryRuns > 0 {
		return n.HistorySD * n.HistorySD * (1 + 1/float64(n.HistoryRuns))
	}
	return n.Tau * n.Tau
}

// MDE returns the relative minimum detectable effect of a change with
// standard error se on df degrees of freedom at level alpha, against the
// negligible change neg (relative), as Estimate.MDE computes it.
func MDE(se, df, alpha, neg float64) float64 {
	return stats.RelChange(stats.Estimate{SE: se, DF: df}.MDE(alpha, stats.LogChange(neg), 0.95))
}

// CalibrationSummary is what a scenario's paired checks learned τ from: the
// number of stored A/A records and the times of the newest and oldest, with
// their ages at the time of this run (seconds). Records is 0 when the
// prior was used for want of any.
type CalibrationSummary struct {
	Scenario  string    `json:"scenario"`
	Records   int       `json:"records"`
	Newest    time.Time `json:"newest"`
	Oldest    time.Time `json:"oldest"`
	NewestAge float64   `json:"newest_age_s"`
	OldestAge float64   `json:"oldest_age_s"`
	// PriorUsed is true when a paired check of the scenario used the prior
	// τ: too few A/A records.
	PriorUsed bool `json:"prior_used"`
}

// SummarizeCalibration describes the A/A records runs behind the paired
// checks of scenario, as of the time now of this run.
func SummarizeCalibration(scenario string, runs []CalibrationRun, checks []Check, now time.Time) CalibrationSummary {
	s := CalibrationSummary{Scenario: scenario, Records: len(runs)}
	for _, r := range runs {
		if r.Time.IsZero() {
			continue
		}
		if s.Newest.IsZero() || r.Time.After(s.Newest) {
			s.Newest = r.Time
		}
		if s.Oldest.IsZero() || r.Time.Before(s.Oldest) {
			s.Oldest = r.Time
		}
	}
	if !now.IsZero() && !s.Newest.IsZero() {
		s.NewestAge, s.OldestAge = now.Sub(s.Newest).Seconds(), now.Sub(s.Oldest).Seconds()
	}
	for _, c := range checks {
		if c.Scenario == scenario && c.Noise != nil && c.Noise.TauSource == TauPrior {
			s.PriorUsed = true
		}
	}
	return s
}
