package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
)

// JSONNoise is what a judged regression check's uncertainty is made of
// (gate.Noise), on the log scale.
type JSONNoise struct {
	SE          *float64 `json:"se"`
	DF          *float64 `json:"df"`
	Alpha       *float64 `json:"alpha"`
	WithinSE    *float64 `json:"within_se"`
	Tau         *float64 `json:"tau"`
	TauSource   string   `json:"tau_source"`
	AARuns      int      `json:"aa_runs"`
	HistorySD   *float64 `json:"history_sd"`
	HistoryRuns int      `json:"history_runs"`
}

// JSONAdvice is one way to bring a check's MDE under the material change.
type JSONAdvice struct {
	Lever    string   `json:"lever"`
	Factor   *float64 `json:"factor"`
	Duration *float64 `json:"duration_s"`
	MDE      *float64 `json:"mde"`
	Text     string   `json:"text"`
}

// JSONCalibration is what the τ̂ of a paired scenario came from.
type JSONCalibration struct {
	Scenario  string   `json:"scenario"`
	Records   int      `json:"records"`
	Newest    string   `json:"newest"`
	Oldest    string   `json:"oldest"`
	NewestAge *float64 `json:"newest_age_s"`
	OldestAge *float64 `json:"oldest_age_s"`
	PriorUsed bool     `json:"prior_used"`
}

// JSONResolution is what a run with inconclusive checks could resolve.
type JSONResolution struct {
	MDE      *float64     `json:"mde"`
	Check    string       `json:"check"`
	Material *float64     `json:"material"`
	Advice   []JSONAdvice `json:"advice"`
}

func reasonKind(v *gate.Verdict) string {
	if v == nil {
		return ""
	}
	return v.ReasonKind
}

func jsonNoise(n *gate.Noise) *JSONNoise {
	if n == nil {
		return nil
	}
	j := &JSONNoise{SE: num(n.SE), DF: num(n.DF), Alpha: num(n.Alpha), WithinSE: num(n.WithinSE),
		TauSource: n.TauSource, AARuns: n.AARuns, HistoryRuns: n.HistoryRuns}
	if n.TauSource != "" {
		j.Tau = num(n.Tau)
	}
	if n.HistoryRuns > 0 {
		j.HistorySD = num(n.HistorySD)
	}
	return j
}

func jsonAdvice(as []gate.Advice) []JSONAdvice {
	out := make([]JSONAdvice, 0, len(as))
	for _, a := range as {
		out = append(out, JSONAdvice{Lever: a.Lever, Factor: numNZ(a.Factor), Duration: numNZ(a.Duration), MDE: numNZ(a.MDE), Text: oneLine(a.Text)})
	}
	return out
}

func jsonCalibration(in Input) []JSONCalibration {
	out := []JSONCalibration{}
	if in.Verdict == nil {
		return out
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, s := range in.Verdict.Calibration {
		j := JSONCalibration{Scenario: s.Scenario, Records: s.Records, Newest: stamp(s.Newest), Oldest: stamp(s.Oldest), PriorUsed: s.PriorUsed}
		if !s.Newest.IsZero() {
			j.NewestAge, j.OldestAge = num(s.NewestAge), num(s.OldestAge)
		}
		out = append(out, j)
	}
	return out
}

func jsonResolution(v *gate.Verdict) *JSONResolution {
	if v == nil || v.Resolution == nil {
		return nil
	}
	r := v.Resolution
	return &JSONResolution{MDE: num(math.Abs(r.MDE)), Check: r.Check, Material: num(r.Material), Advice: jsonAdvice(r.Advice)}
}

// kindWords is a reason kind in a few words, for the comment and JUnit.
func kindWords(kind string) string {
	switch kind {
	case gate.ReasonSmallRegression:
		return "small regression"
	case gate.ReasonNotSignificantAfterHolm:
		return "not significant after Holm"
	case gate.ReasonSignedRankDisagrees:
		return "not confirmed by the signed-rank test"
	case gate.ReasonSLOWithinNoise:
		return "within noise"
	}
	return strings.ReplaceAll(kind, "_", " ")
}

// writeResolution tells, under the headline of a run with inconclusive
// checks (whose reason says what the run could not see and the cheapest
// way to see it), every way to resolve the material change.
func writeResolution(b *strings.Builder, v *gate.Verdict) {
	if v == nil || v.Resolution == nil {
		return
	}
	r := v.Resolution
	check := "`" + codeText(clip(r.Check, maxNameChars)) + "`"
	mde := formatMDE(r.MDE, false)
	// "No regression seen" only when that is the run's story: a run whose
	// most serious WARN is a measured worsening saw one.
	seen := "> **No regression seen**, but changes"
	if v.ReasonKind != gate.ReasonInconclusive {
		seen = "> Changes"
	}
	if len(r.Advice) == 0 {
		fmt.Fprintf(b, "%s under %s in %s are invisible to this run, and no single change of the run resolves %s.\n\n", seen, mde, check, formatPercent(r.Material))
		return
	}
	var ways []string
	for _, a := range r.Advice {
		ways = append(ways, mdText(clip(a.Text, maxReasonChars)))
	}
	lead := "> **No regression seen.** Ways"
	if v.ReasonKind != gate.ReasonInconclusive {
		lead = "> Ways"
	}
	fmt.Fprintf(b, "%s to resolve a %s change in %s (MDE %s now), cheapest first: %s.\n\n", lead, formatPercent(r.Material), check, mde, strings.Join(ways, "; "))
}

// calibrationNote says where the τ of a paired scenario came from, or ""
// when the scenario was not paired.
func calibrationNote(v *gate.Verdict, scenario string) string {
	if v == nil {
		return ""
	}
	for _, s := range v.Calibration {
		if s.Scenario != scenario {
			continue
		}
		switch {
		case s.Records == 0:
			return "- Between-deployment noise τ: the prior, no A/A records yet (a push to the default branch with a live baseline stores one; so does `perfgate calibrate`)."
		case s.PriorUsed:
			return fmt.Sprintf("- Between-deployment noise τ: at least the prior; %d A/A %s (%s) %s too few to rely on alone.", s.Records, plural(s.Records, "record", "records"), ages(s), plural(s.Records, "is", "are"))
		}
		return fmt.Sprintf("- Between-deployment noise τ learned from %d A/A %s (%s).", s.Records, plural(s.Records, "record", "records"), ages(s))
	}
	return ""
}

// looksNote says what the second look did in an extended scenario, or ""
// when the policy does not extend it.
func looksNote(v *gate.Verdict, scenario string) string {
	if v == nil {
		return ""
	}
	for _, l := range v.Looks {
		if l.Scenario == scenario {
			return "- Looks: " + mdText(l.Sentence()) + "."
		}
	}
	return ""
}

func ages(s gate.CalibrationSummary) string {
	if s.Newest.IsZero() {
		return "age unknown"
	}
	if s.Records == 1 || s.Newest.Equal(s.Oldest) {
		return metric.FormatAge(s.NewestAge) + " old"
	}
	return fmt.Sprintf("newest %s old, oldest %s", metric.FormatAge(s.NewestAge), metric.FormatAge(s.OldestAge))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
