package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
)

func writeTable(b *strings.Builder, rows []gate.Check) {
	b.WriteString("| check | baseline | candidate | change [interval] | MDE | verdict |\n")
	b.WriteString("| :-- | --: | --: | --: | --: | :-- |\n")
	for _, c := range rows {
		v := ValuesOf(c)
		name := "`" + codeText(clip(checkName(c), maxNameChars)) + "`"
		if c.Kind == gate.KindSLO && v.LimitText() != dash {
			name += " " + v.LimitText()
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", name, v.BaselineText(), v.CandidateText(), v.ChangeText(), v.MDEText(), verdictCell(c))
	}
	b.WriteString("\n")
}

// sloLimit returns the operator and limit of an SLO check; the limit falls
// back to Baseline, which holds it for SLO checks.
func sloLimit(c gate.Check) (string, float64) {
	if c.Limit != 0 || c.Baseline == 0 {
		return c.Op, c.Limit
	}
	return c.Op, c.Baseline
}

// absoluteChange reports whether a check's change is a difference of
// proportions (error rates) rather than a relative change.
func absoluteChange(c gate.Check) bool {
	return c.Unit == metric.Ratio || c.Metric == metric.ErrorRate
}

func verdictCell(c gate.Check) string {
	if !c.Gating {
		return "info"
	}
	w := statusWord(c.Verdict)
	if c.Verdict == "" {
		w = metric.NA
	}
	if c.Verdict == gate.Pass || c.Verdict == "" {
		return w
	}
	return "**" + w + "**"
}

// writeNotes explains every check that did not pass, every informational
// check, and every PASS that could not have seen a material change. Checks
// that share a verdict and a reason share a note.
func writeNotes(b *strings.Builder, rows []gate.Check, material float64) {
	type note struct {
		lead, reason string
		names        []string
	}
	var notes []*note
	byKey := map[string]*note{}
	for _, c := range rows {
		var lead string
		reason := mdText(clip(oneLine(c.Reason), maxReasonChars))
		switch {
		case !c.Gating:
			lead = "informational"
			if reason == "" {
				reason = "shown, never gating"
			}
		case c.Verdict != gate.Pass:
			lead = "**" + statusWord(c.Verdict) + "**"
			if c.ReasonKind != "" {
				lead += " (" + kindWords(c.ReasonKind) + ")"
			}
			if reason == "" {
				reason = "no reason given"
			}
		case c.ReasonKind != "":
			lead = "PASS (" + kindWords(c.ReasonKind) + ")"
		default:
			continue
		}
		name := "`" + codeText(clip(checkName(c), maxNameChars)) + "`"
		if c.Kind == gate.KindSLO {
			name += " SLO"
		}
		key := lead + "\x00" + reason
		if n := byKey[key]; n != nil {
			n.names = append(n.names, name)
			continue
		}
		n := &note{lead: lead, reason: reason, names: []string{name}}
		byKey[key] = n
		notes = append(notes, n)
	}
	var lines []string
	for _, n := range notes {
		names := n.names
		if len(names) > 6 {
			names = append(names[:5:5], fmt.Sprintf("%d more", len(n.names)-5))
		}
		lines = append(lines, fmt.Sprintf("- %s %s: %s", n.lead, strings.Join(names, ", "), n.reason))
	}
	for _, c := range rows {
		if material > 0 && c.Gating && c.Kind == gate.KindRegression && c.Verdict == gate.Pass && finite(c.MDE) && math.Abs(c.MDE) > material {
			line := fmt.Sprintf("- This run could not have detected a %s change in `%s` (MDE %s): its PASS is weak evidence",
				formatPercent(material), codeText(clip(checkName(c), maxNameChars)), ValuesOf(c).MDEText())
			if len(c.Advice) > 0 {
				line += "; to resolve it, " + mdText(clip(c.Advice[0].Text, maxReasonChars))
			}
			lines = append(lines, line+".")
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString(strings.Join(lines, "\n") + "\n\n")
}
