package report

import (
	"math"
	"strings"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
)

// Values are the numbers of one check as every report shows them: the
// terminal summary, the comment, JUnit and report.json all take them from
// ValuesOf and print them with the methods below, so they cannot disagree.
// A nil number does not exist: null in report.json, "—" in text. A
// baseline that never measured a statistic is nil, never 0.
type Values struct {
	Unit string
	// Baseline and Candidate are the compared values (regression checks).
	Baseline, Candidate *float64
	// Op and Limit are an SLO's limit, in Unit.
	Op    string
	Limit *float64
	// Change is candidate vs baseline, relative (0.05 = +5%), or absolute
	// (a difference of proportions) when Absolute; CILow and CIHigh its
	// interval at Confidence, nil for a check that was not judged.
	Change, CILow, CIHigh, Confidence *float64
	Absolute                          bool
	// MDE is the size of the smallest worsening the run would have caught
	// (always positive: a rise of a latency, a drop of a throughput).
	MDE *float64
}

// ValuesOf returns the numbers of c that exist.
func ValuesOf(c gate.Check) Values {
	v := Values{Unit: c.Unit, Candidate: num(c.Candidate), Absolute: absoluteChange(c)}
	if c.Kind == gate.KindSLO {
		op, limit := sloLimit(c)
		v.Op = op
		if op != "" {
			v.Limit = num(limit)
		}
		return v
	}
	v.MDE = numNZ(math.Abs(c.MDE))
	if c.Mode == gate.ModeNone {
		return v
	}
	v.Baseline = num(c.Baseline)
	if !v.Absolute && !(c.Baseline > 0) {
		// A relative change against nothing does not exist: a latency or
		// a throughput of 0 is a statistic the baseline never measured.
		v.Baseline = nil
		return v
	}
	v.Change = num(c.Change)
	if v.Change != nil && !(c.CILow == 0 && c.CIHigh == 0) && finite(c.CILow) && finite(c.CIHigh) {
		v.CILow, v.CIHigh = num(c.CILow), num(c.CIHigh)
		v.Confidence = numNZ(c.Confidence)
	}
	return v
}

// Text prints a value in unit, "—" when it does not exist.
func Text(v *float64, unit string) string {
	if v == nil {
		return dash
	}
	return metric.Format(*v, unit)
}

// BaselineText is the baseline value, "—" when none.
func (v Values) BaselineText() string { return Text(v.Baseline, v.Unit) }

// CandidateText is this run's value, "—" when not measured.
func (v Values) CandidateText() string { return Text(v.Candidate, v.Unit) }

// LimitText is an SLO's limit as written: "< 2.00 s", "≤ 95%"; "—" for
// a check without one.
func (v Values) LimitText() string {
	op := formatOp(v.Op)
	if op == "" || v.Limit == nil {
		return dash
	}
	return op + " " + metric.Format(*v.Limit, v.Unit)
}

// ChangeText is the change with its interval: "+12.3% [+9.8%, +14.9%]",
// "-0.10 pp [-0.31 pp, +0.11 pp]", "+28.8%" for a check shown but not
// judged, "—" when there is no change. An interval at another confidence
// than 95% names it.
func (v Values) ChangeText() string {
	if v.Change == nil {
		return dash
	}
	s := formatChange(*v.Change, v.Absolute)
	if v.CILow == nil || v.CIHigh == nil {
		return s
	}
	s += " [" + formatChange(*v.CILow, v.Absolute) + ", " + formatChange(*v.CIHigh, v.Absolute) + "]"
	if c := v.Confidence; c != nil && *c > 0 && *c < 1 && math.Abs(*c-0.95) > 1e-9 {
		s += " (" + metric.FormatNumber(*c*100) + "%)"
	}
	return s
}

// MDEText is the minimum detectable effect as a size, "4.1%" or "0.40 pp",
// the same for latencies and throughputs (the worsening is a rise of the
// one, a drop of the other), as report.json's positive mde; "—" when none.
func (v Values) MDEText() string {
	if v.MDE == nil {
		return dash
	}
	return formatMDE(*v.MDE, v.Absolute)
}

// formatMDE prints a minimum detectable effect as a size: "4.1%", "0.40 pp".
func formatMDE(mde float64, absolute bool) string {
	return strings.TrimPrefix(formatChange(math.Abs(mde), absolute), "+")
}
