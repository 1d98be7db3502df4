package gate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// finish sets the overall outcome, its reason kind, its one-sentence reason
// and, when checks were inconclusive, what would resolve them against the
// material change.
func finish(v *Verdict, runs []*baseline.Record, material float64) {
	for i := range v.Checks {
		if c := &v.Checks[i]; c.Verdict == Warn && !c.Gating && c.ReasonKind == "" {
			c.ReasonKind = ReasonInformational // phase checks shown, never judged
		}
	}
	var invalid []string
	for _, rec := range runs {
		if rec == nil {
			continue
		}
		if rec.Partial {
			invalid = append(invalid, fmt.Sprintf("scenario %s was cut short", rec.Scenario))
		}
		if !rec.Valid {
			reasons := strings.Join(rec.Invalid, "; ")
			if reasons == "" {
				reasons = "the load generator did not keep up"
			}
			invalid = append(invalid, fmt.Sprintf("scenario %s: %s", rec.Scenario, reasons))
		}
	}
	// A check that could not be measured makes the run invalid, unless a
	// measured check failed: a run whose every request failed has FAILed
	// on its error rate, and that is what it says (the unmeasured rows
	// stay on the report).
	var unmeasuredChecks []string
	for _, c := range v.Checks {
		if c.Verdict == Invalid {
			unmeasuredChecks = append(unmeasuredChecks, fmt.Sprintf("scenario %s: %s", c.Scenario, c.Reason))
		}
	}
	// Informational checks are notes: shown, never deciding the run.
	var fails, warns []Check
	gating := 0
	for _, c := range v.Checks {
		if c.Gating {
			gating++
		}
		switch {
		case !c.Gating:
		case c.Verdict == Fail:
			fails = append(fails, c)
		case c.Verdict == Warn:
			warns = append(warns, c)
		}
	}
	sort.SliceStable(fails, func(i, j int) bool { return fails[i].Kind == KindRegression && fails[j].Kind != KindRegression })
	sort.SliceStable(warns, func(i, j int) bool { return reasonRank[warns[i].ReasonKind] > reasonRank[warns[j].ReasonKind] })
	defer func() {
		v.ReasonKind = RunReasonKind(v.Outcome, v.Checks)
		if v.Outcome == Warn || v.Outcome == Pass {
			v.Resolution = resolve(v.Checks, material)
		}
	}()
	inconclusive := 0
	for _, c := range v.Checks {
		if c.Gating && c.ReasonKind == ReasonInconclusive {
			inconclusive++
		}
	}
	plainly := func(how string) string {
		s := fmt.Sprintf("No regression seen, but %d gating %s could not rule out a material one%s", inconclusive, plural(inconclusive, "check", "checks"), how)
		if r := resolve(v.Checks, material); r != nil {
			s += ": " + r.sentence()
		}
		return s + "."
	}
	if len(fails) == 0 {
		invalid = append(invalid, unmeasuredChecks...)
	}
	switch {
	case len(invalid) > 0:
		v.Outcome = Invalid
		v.Reason = "The measurement cannot be trusted: " + strings.Join(invalid, "; ") + "."
	case len(fails) > 0:
		v.Outcome = Fail
		v.Reason = fmt.Sprintf("%s.", fails[0].Reason)
		if len(fails) > 1 {
			v.Reason = fmt.Sprintf("%d checks failed; first: %s.", len(fails), fails[0].Reason)
		}
		v.Reason = withCause(v.Reason, fails, runs)
	case len(warns) > 0 && warns[0].ReasonKind == ReasonInconclusive:
		v.Outcome = Warn
		v.Reason = plainly("")
	case len(warns) > 0:
		v.Outcome = Warn
		v.Reason = fmt.Sprintf("No check failed, but %d %s WARN; the most serious, %s: %s.", len(warns), plural(len(warns), "check is", "checks are"), reasonPhrase[warns[0].ReasonKind], warns[0].Reason)
		v.Reason = withCause(v.Reason, warns[:1], runs)
	case len(v.Checks) == 0:
		// Nothing judged is not a pass (docs/report-json.md).
		v.Outcome = Invalid
		v.Reason = "Nothing was judged: no scenario measured an SLO's metric or a gating metric."
	case inconclusive > 0:
		v.Outcome = Pass
		v.Reason = plainly(fmt.Sprintf(" (reported as PASS: regression.inconclusive is %q)", InconclusivePass))
	case gating == 0:
		v.Outcome = Pass
		v.Reason = fmt.Sprintf("No gating check: %d informational %s shown, not judged", len(v.Checks), plural(len(v.Checks), "check is", "checks are"))
		if c := v.Checks[0]; len(v.Checks) == 1 && c.Metric == metric.Capacity {
			v.Reason += "; " + c.Reason // a capacity-only run: its capacity is the news
		}
		v.Reason += "."
	default:
		v.Outcome = Pass
		v.Reason = fmt.Sprintf("All %d gating %s passed%s.", gating, plural(gating, "check", "checks"), infoNote(len(v.Checks)-gating))
		if worst := largestRegression(v.Checks); worst != nil {
			v.Reason = fmt.Sprintf("All %d gating %s passed%s; the largest change is %s %s, and this run could have detected a worsening of %.1f%%.", gating, plural(gating, "check", "checks"), infoNote(len(v.Checks)-gating), worst.Name, formatChange(worst), 100*worst.MDE)
		}
	}
}

// largestRegression returns the gating regression check with the largest
// worsening.
func largestRegression(cs []Check) *Check {
	var best *Check
	worse := func(c *Check) float64 {
		if c.HigherIsBetter {
			return -c.Change
		}
		return c.Change
	}
	for i := range cs {
		c := &cs[i]
		if c.Kind != KindRegression || !c.Gating || c.Metric == "error_rate" {
			continue
		}
		if best == nil || worse(c) > worse(best) {
			best = c
		}
	}
	return best
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// infoNote mentions n informational checks in a PASS reason.
func infoNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d informational %s shown)", n, plural(n, "check", "checks"))
}
