package gate

import (
	"fmt"
	"math"
	"slices"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// Rules are a policy's regression rules in the gate's terms.
type Rules struct {
	// Gate lists the gating checks by name ("e2e.p95", "ttft.p95",
	// "tpot.p50", "requests_per_s", "output_tokens_per_s", "capacity",
	// "error_rate").
	Gate []string
	// Negligible (δ) and Material (Δ) are relative changes (0.03, 0.10).
	Negligible, Material float64
	// Alpha is the family error rate of a false FAIL across the gating
	// checks (1 − confidence), in (0, 0.5).
	Alpha float64
	// History is how many stored runs history mode compares with.
	History int
	// ErrorRateNegligible and ErrorRateMaterial are absolute differences
	// of error proportions (0.001 = 0.1 percentage points).
	ErrorRateNegligible, ErrorRateMaterial float64
	// PriorTau is the between-deployment standard deviation (log scale)
	// assumed until enough A/A calibration runs exist; 0 means
	// sqrt(stats.DefaultPriorTau2).
	PriorTau float64
	// Inconclusive is how an inconclusive gating check is reported:
	// InconclusiveWarn (the default when "") or InconclusivePass.
	Inconclusive string
	// Optional names the SLOs and gating checks ("server.rss_bytes.max")
	// that may go unmeasured: such a check is informational, while any
	// other check a run could not measure is Invalid (unmeasured.go).
	Optional []string
}

// Default rule values (docs/statistics.md explains them).
const (
	DefaultNegligible          = 0.03
	DefaultMaterial            = 0.10
	DefaultAlpha               = 0.05
	DefaultHistory             = 10
	DefaultErrorRateNegligible = 0.001
	DefaultErrorRateMaterial   = 0.01
)

func (r Rules) withDefaults() Rules {
	if r.Negligible <= 0 {
		r.Negligible = DefaultNegligible
	}
	if r.Material <= r.Negligible {
		r.Material = math.Max(DefaultMaterial, 2*r.Negligible)
	}
	if !(r.Alpha > 0 && r.Alpha < 0.5) {
		r.Alpha = DefaultAlpha
	}
	if r.History <= 0 {
		r.History = DefaultHistory
	}
	if r.ErrorRateNegligible <= 0 {
		r.ErrorRateNegligible = DefaultErrorRateNegligible
	}
	if r.ErrorRateMaterial <= r.ErrorRateNegligible {
		r.ErrorRateMaterial = math.Max(DefaultErrorRateMaterial, 2*r.ErrorRateNegligible)
	}
	return r
}

// Input is everything Evaluate judges.
type Input struct {
	Rules Rules
	SLOs  []SLO
	// Runs are this run's records, one per scenario. A paired run's record
	// carries the live baseline arm in Reference.
	Runs []*baseline.Record
	// History holds, per scenario, the stored runs of the base branch,
	// newest first (pinned first); used when a run has no Reference.
	History map[string][]*baseline.Record
	// Calibration is what the scenarios' stored A/A runs say about each
	// gating check, built once with LearnCalibration (with the same
	// Rules.Gate); paired checks learn τ² from it. Nil: the prior τ².
	Calibration Calibration
	// Looks says, per extended scenario, what the second look did (policy
	// regression.extend); every check is then judged at the smallest
	// family α of their last looks, the α the looks left (LookAlpha).
	Looks []Looks
}

// Evaluate checks the SLOs and compares every gating metric of the run
// with its baseline, and returns the verdict.
func Evaluate(in Input) *Verdict {
	rules := in.Rules.withDefaults()
	v := &Verdict{Looks: in.Looks}
	for _, l := range in.Looks {
		if l.Alpha > 0 && l.Alpha < rules.Alpha {
			rules.Alpha = l.Alpha
		}
	}
	var regs []*regression
	measured := map[string]bool{}
	for _, rec := range in.Runs {
		if rec == nil {
			continue
		}
		// A capacity record's latencies come from the search's last step,
		// at a rate that differs between arms and runs: only the capacity
		// itself is compared (the SLOs were its criteria at every step).
		for _, slo := range in.SLOs {
			if cs, ok := phaseSLO(rec, slo, rules); ok {
				v.Checks = append(v.Checks, cs...)
				continue
			}
			v.Checks = append(v.Checks, sloChecks(rec, slo, rules)...)
		}
		v.Checks = append(v.Checks, phaseChecks(rec, rules)...)
		history := in.History[rec.Scenario]
		v.Warnings = append(v.Warnings, comparabilityWarnings(rec, history)...)
		v.Warnings = append(v.Warnings, faultWarnings(rec)...)
		if w := servedModelWarning(rec); w != "" && !slices.Contains(v.Warnings, w) {
			v.Warnings = append(v.Warnings, w) // once per run
		}
		if w := hiddenQueueWarning(rec); w != "" {
			v.Warnings = append(v.Warnings, w)
		}
		for _, name := range rules.Gate {
			if c, r, ok := phaseGate(rec, name, history, in.Calibration[rec.Scenario], rules); ok {
				measured[name] = measured[name] || c != nil || r != nil
				if c != nil {
					v.Checks = append(v.Checks, *c)
					if c.Mode == ModePaired || c.Mode == ModeHistory && v.Mode == "" {
						v.Mode = c.Mode
					}
				}
				if r != nil {
					regs = append(regs, r)
				}
				continue
			}
			m, stat := metric.SplitName(name)
			if !applies(rec, m) {
				continue
			}
			measured[name] = true
			why := unmeasured(rec, m, stat)
			if why == "" && rec.Reference != nil {
				if why = unmeasured(rec.Reference, m, stat); why != "" {
					why = "in the baseline arm, " + why
				}
			}
			if why != "" {
				c := unmeasuredCheck(rec, name, KindRegression, why, slices.Contains(rules.Optional, name))
				c.Mode = modeOf(rec, history)
				v.Checks = append(v.Checks, c)
				continue
			}
			aa := aaStatsOf(in.Calibration[rec.Scenario], name, rules)
			regs = append(regs, compareCheck(rec, name, history, aa, rules))
		}
		if rec.Capacity != nil && !judgesCapacity(in.SLOs, rules) {
			aa := aaStatsOf(in.Calibration[rec.Scenario], metric.Capacity, rules)
			v.Checks = append(v.Checks, capacityInfo(rec, history, aa, rules, len(in.SLOs)))
		}
	}
	for _, name := range rules.Gate {
		if !measured[name] {
			v.Warnings = append(v.Warnings, fmt.Sprintf("gating metric %s was not measured by any scenario", name))
		}
	}
	decide(regs, rules.Alpha)
	if v.Mode == "" {
		v.Mode = ModeNone
	}
	for _, r := range regs {
		c := &r.check
		if rec := runOf(in.Runs, c.Scenario); rec != nil && c.Verdict != Fail {
			c.Advice = Advise(c.Noise, c.Windows, float64(len(rec.Windows))*rec.WindowSeconds, rules.Negligible, rules.Material)
		}
		v.Checks = append(v.Checks, *c)
		if c.Mode == ModePaired || c.Mode == ModeHistory && v.Mode == ModeNone {
			v.Mode = c.Mode
		}
	}
	for _, rec := range in.Runs {
		if rec != nil && rec.Reference != nil {
			v.Calibration = append(v.Calibration, SummarizeCalibration(rec.Scenario, in.Calibration[rec.Scenario], v.Checks, rec.Time))
		}
	}
	reportInconclusive(v.Checks, rules)
	finish(v, in.Runs, rules.Material)
	return v
}

// sloChecks judges one SLO on one record: nothing when the metric does
// not apply to it (a capacity record judges only the capacity), an
// unmeasured check when the run could not measure it.
func sloChecks(rec *baseline.Record, slo SLO, rules Rules) []Check {
	if !applies(rec, slo.Metric) {
		if c, ok := capacityCriterionUnmeasured(rec, slo, rules); ok {
			return []Check{c}
		}
		return nil
	}
	if why := unmeasured(rec, slo.Metric, slo.Stat); why != "" {
		c := unmeasuredCheck(rec, slo.Name, KindSLO, why, slices.Contains(rules.Optional, slo.Name))
		c.Op, c.Limit, c.Baseline = slo.Op, slo.Limit, slo.Limit
		c.HigherIsBetter = !slo.upperIsBad()
		return []Check{c}
	}
	return []Check{checkSLO(rec, slo, rules.Alpha)}
}

// runOf returns the record of scenario among runs, or nil.
func runOf(runs []*baseline.Record, scenario string) *baseline.Record {
	for _, rec := range runs {
		if rec != nil && rec.Scenario == scenario {
			return rec
		}
	}
	return nil
}

// hasMetric reports whether rec measured metric m.
func hasMetric(rec *baseline.Record, m string) bool {
	switch m {
	case metric.Capacity:
		return rec.Capacity != nil
	case metric.ColdStart:
		return rec.ColdStart > 0
	case metric.ErrorRate:
		return len(rec.Windows) > 0
	}
	_, ok := rec.Metrics[m]
	return ok
}
