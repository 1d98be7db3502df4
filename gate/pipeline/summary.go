package pipeline

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/report"
)

// WriteSummary writes a compact text table of v for a terminal or a CI
// log: the outcome and its reason, then one line per check, its numbers
// printed as the comment and the other reports print them (report.Values).
func WriteSummary(w io.Writer, v *gate.Verdict) {
	fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(string(v.Outcome)), v.Reason)
	if len(v.Checks) == 0 {
		return
	}
	rows := [][]string{{"scenario", "check", "kind", "baseline", "candidate", "change [interval]", "MDE", "verdict"}}
	for _, c := range v.Checks {
		vals := report.ValuesOf(c)
		base := vals.BaselineText()
		if c.Kind == gate.KindSLO {
			base = vals.LimitText()
		}
		verdict := string(c.Verdict)
		if c.ReasonKind != "" && c.Gating {
			verdict += " (" + c.ReasonKind + ")"
		}
		if !c.Gating {
			verdict = "info" // a note, as in the comment and JUnit (skipped)
		}
		rows = append(rows, []string{c.Scenario, c.Name, c.Kind, base, vals.CandidateText(), vals.ChangeText(), vals.MDEText(), verdict})
	}
	writeColumns(w, rows, []bool{false, false, false, true, true, false, true, false})
	for _, l := range v.Looks {
		fmt.Fprintf(w, "\nlooks: %s\n", l.Sentence())
	}
}

// writeColumns writes rows as columns as wide as their widest cell (in
// characters), right-aligned where right says so, after a blank line.
func writeColumns(w io.Writer, rows [][]string, right []bool) {
	width := make([]int, len(right))
	for _, r := range rows {
		for i, cell := range r {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				b.WriteString("  ")
			}
			if right[i] {
				b.WriteString(pad + cell)
			} else {
				b.WriteString(cell + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
