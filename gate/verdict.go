// Package gate holds perfgate's decision logic: it turns load results into
// records (Summarize), checks SLOs, compares a run with its baseline, paired
// or against stored history, and returns a Verdict. It does no I/O.
//
// The statistical method is documented in docs/statistics.md: the unit is a
// window statistic on a log scale; paired runs use per-window log-ratios with
// a between-deployment variance τ² learned from A/A calibration runs; history
// runs use a prediction interval over the last N stored runs. Each gating
// check is three-valued with a negligible change δ and a material change Δ:
// FAIL when the lower confidence bound of the worsening is above δ (Holm
// corrected across the gating checks), PASS when the upper bound is below Δ,
// WARN otherwise. Every check reports its minimum detectable effect.
//
// Evaluate chooses each check's comparison mode in one place (modeOf) and
// hands the check to a comparator, one type and file per way of comparing
// (compare_*.go: paired windows, paired capacity, stored history, error
// proportions, no baseline); each returns an estimate of the change. Holm's
// step-down and the three-valued verdict are applied to all estimates in
// one place (decide.go). What the A/A runs say about the noise is computed
// once by the caller (LearnCalibration) and passed in Input.Calibration.
package gate

// Outcome is the verdict of a check or of a whole run.
type Outcome string

// Outcomes, from best to worst. Invalid means the measurement cannot be
// trusted (the load generator fell behind, or the run was cut short).
const (
	Pass    Outcome = "pass"
	Warn    Outcome = "warn"
	Fail    Outcome = "fail"
	Invalid Outcome = "invalid"
)

func (o Outcome) rank() int {
	switch o {
	case Pass:
		return 0
	case Warn:
		return 1
	case Fail:
		return 2
	case Invalid:
		return 3
	}
	return 0
}

// Worse returns the worse of two outcomes.
func Worse(a, b Outcome) Outcome {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Check kinds.
const (
	KindSLO        = "slo"        // an absolute limit
	KindRegression = "regression" // a comparison with the baseline
)

// Comparison modes of a regression check.
const (
	ModePaired  = "paired"  // duet: both arms under the same schedule at the same time
	ModeHistory = "history" // this run against the last N stored runs
	ModeNone    = "none"    // nothing to compare with
)

// Check is one judged (or informational) quantity.
type Check struct {
	Scenario string `json:"scenario"`
	Name     string `json:"name"`      // "ttft.p95", "requests_per_s", "capacity"
	Metric   string `json:"metric"`    // "ttft"
	Stat     string `json:"statistic"` // "p95", "value", "max"
	Kind     string `json:"kind"`      // KindSLO or KindRegression
	Mode     string `json:"mode,omitempty"`
	Unit     string `json:"unit"`
	// HigherIsBetter is true for throughput-like metrics.
	HigherIsBetter bool `json:"higher_is_better"`

	// Baseline is the compared baseline value (paired arm, or the
	// geometric mean of the history); for an SLO, the limit. It is NaN
	// when no baseline measured it (nothing to compare with, or stored
	// runs without that statistic), as Candidate is when this run did not
	// measure it, and Change, CILow and CIHigh when they do not exist.
	Baseline float64 `json:"baseline"`
	// Candidate is this run's value.
	Candidate float64 `json:"candidate"`
	// Limit and Op describe an SLO ("<", "<=", ">", ">=").
	Limit float64 `json:"limit,omitempty"`
	Op    string  `json:"op,omitempty"`

	// Change is the estimated relative change of the metric, candidate vs
	// baseline (0.05 = +5%), and [CILow, CIHigh] its confidence interval at
	// Confidence. For an error_rate check they are absolute differences of
	// proportions. A check that is not judged still has the change of its
	// values when both exist (no interval).
	Change     float64 `json:"change"`
	CILow      float64 `json:"ci_low"`
	CIHigh     float64 `json:"ci_high"`
	Confidence float64 `json:"confidence,omitempty"`
	// MDE is the smallest worsening (relative) this run would have caught
	// 95% of the time. Zero when not applicable.
	MDE float64 `json:"mde,omitempty"`
	// PValue is the one-sided p-value of "worse by more than the negligible
	// change", before the Holm correction.
	PValue float64 `json:"p_value,omitempty"`

	Windows int   `json:"windows,omitempty"`
	Samples int64 `json:"samples,omitempty"`
	History int   `json:"history,omitempty"` // stored runs compared with

	// Gating is false for informational checks (too few tail samples, too
	// little history): they are shown but never fail the gate.
	Gating  bool    `json:"gating"`
	Verdict Outcome `json:"verdict"`
	// ReasonKind says, for machines, why a check is WARN (or why an
	// inconclusive check is PASS under regression.inconclusive "pass"):
	// one of the Reason* constants, "" otherwise (reasonkind.go).
	ReasonKind string   `json:"reason_kind,omitempty"`
	Reason     string   `json:"reason"`
	Warnings   []string `json:"warnings,omitempty"`
	// Noise is what the uncertainty of a judged regression check on the log
	// scale is made of, and Advice what would bring its MDE under the
	// material change (empty when it already is).
	Noise  *Noise   `json:"noise,omitempty"`
	Advice []Advice `json:"advice,omitempty"`
}

// Verdict is the decision of a whole run.
type Verdict struct {
	Outcome Outcome `json:"verdict"`
	// ReasonKind is the reason kind of the run (RunReasonKind): "" for a
	// FAIL, an INVALID run or a PASS with nothing inconclusive.
	ReasonKind string `json:"reason_kind,omitempty"`
	// Reason is one sentence that says why.
	Reason string `json:"reason"`
	// Mode is the run's comparison mode: ModePaired if any regression
	// check of a gating metric was paired, else ModeHistory if any was
	// against stored runs, else ModeNone (no baseline, or no gating
	// metric measured). Reports show it; callers read it here instead of
	// deciding it again.
	Mode     string   `json:"mode"`
	Checks   []Check  `json:"checks"`
	Warnings []string `json:"warnings,omitempty"`
	// Capacity holds the capacity planning of capacity scenarios, when the
	// policy states a cost model.
	Capacity []CapacityPlan `json:"capacity,omitempty"`
	// Calibration says, per scenario with paired checks, how many A/A
	// records its τ̂ came from and how old they are.
	Calibration []CalibrationSummary `json:"calibration,omitempty"`
	// Resolution says, for a run with inconclusive checks, what it could
	// resolve and the cheapest way to resolve the material change.
	Resolution *Resolution `json:"resolution,omitempty"`
	// Looks says, per scenario the policy lets extend, what the second
	// look did (regression.extend).
	Looks []Looks `json:"looks,omitempty"`
	// Stopped says why the run was stopped early because the target
	// failed nearly every request; nil otherwise.
	Stopped *Stopped `json:"stopped,omitempty"`
}

// CapacityPlan is what a capacity result means in replicas and money for
// the policy's stated peak traffic (policy "cost").
type CapacityPlan struct {
	Scenario        string  `json:"scenario"`
	PeakRPS         float64 `json:"peak_rps"`
	Headroom        float64 `json:"headroom"` // 0.2 = 20%
	InstanceHourUSD float64 `json:"instance_hour_usd"`
	Baseline        *Sizing `json:"baseline,omitempty"`
	Candidate       Sizing  `json:"candidate"`
}

// Sizing is one arm's capacity turned into replicas and unit costs.
type Sizing struct {
	CapacityRPS float64 `json:"capacity_rps"`
	Replicas    int     `json:"replicas"` // ceil(peak / capacity × (1 + headroom))
	// USDPerMillionRequests and USDPerThousandOutputTokens are the costs at
	// capacity; the latter is zero for non-LLM services.
	USDPerMillionRequests      float64 `json:"usd_per_1m_requests"`
	USDPerThousandOutputTokens float64 `json:"usd_per_1k_output_tokens,omitempty"`
}
