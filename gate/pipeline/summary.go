package pipeline

import (
	"fmt"
	"io"
	"strings"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
)

// WriteSummary writes a compact text table of v for a terminal or a CI
// log: the outcome and its reason, then one line per check.
func WriteSummary(w io.Writer, v *gate.Verdict) {
	fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(string(v.Outcome)), v.Reason)
	if len(v.Checks) == 0 {
		return
	}
	const row = "%-10s %-22s %-11s %12s %12s  %-26s %8s  %s\n"
	fmt.Fprintf(w, "\n"+row, "scenario", "check", "kind", "baseline", "candidate", "change [interval]", "MDE", "verdict")
	for _, c := range v.Checks {
		change, mde := "", ""
		if c.Kind == gate.KindRegression && c.Mode != gate.ModeNone && c.Gating {
			change = fmt.Sprintf("%+.1f%% [%+.1f%%, %+.1f%%]", 100*c.Change, 100*c.CILow, 100*c.CIHigh)
			if c.Metric == metric.ErrorRate {
				change = fmt.Sprintf("%+.2fpp [%+.2f, %+.2f]", 100*c.Change, 100*c.CILow, 100*c.CIHigh)
			}
			if c.MDE > 0 {
				mde = fmt.Sprintf("%+.1f%%", 100*c.MDE)
			}
		}
		base := metric.Format(c.Baseline, c.Unit)
		switch {
		case c.Kind == gate.KindSLO:
			base = c.Op + " " + metric.Format(c.Limit, c.Unit)
		case c.Kind == gate.KindRegression && c.Mode == gate.ModeNone:
			base = "—" // no baseline to compare with
		}
		verdict := string(c.Verdict)
		if c.ReasonKind != "" && c.Gating {
			verdict += " (" + c.ReasonKind + ")"
		}
		if !c.Gating {
			verdict = "info" // a note, as in the comment and JUnit (skipped)
		}
		fmt.Fprintf(w, row, c.Scenario, c.Name, c.Kind, base, metric.Format(c.Candidate, c.Unit), change, mde, verdict)
	}
	for _, l := range v.Looks {
		fmt.Fprintf(w, "\nlooks: %s\n", l.Sentence())
	}
}
