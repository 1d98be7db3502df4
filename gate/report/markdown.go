package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
)

// DefaultMaxChars is GitHub's limit on the body of an issue or pull-request
// comment.
const DefaultMaxChars = 65536

// Caps on the parts of the comment that are not check rows, so that the rows
// get the room left under the size limit. What is cut is in report.json.
const (
	maxWarnings      = 40  // warnings listed in the details
	maxRunsListed    = 20  // runs in the validity details
	maxCapacity      = 10  // capacity scenarios with a chart
	maxChartPoints   = 40  // rates plotted per chart
	maxLabels        = 20  // environment labels
	maxReasonChars   = 300 // one reason or warning
	maxNameChars     = 100 // a name in a cell or heading
	maxInvalidReason = 10  // invalid reasons per run
)

// MarkdownOptions tunes the Markdown renderer.
type MarkdownOptions struct {
	// MaxChars bounds the length of the comment in bytes (so also in
	// characters); the comment is always shorter. Zero means
	// DefaultMaxChars; a job summary may allow more.
	MaxChars int
}

// Markdown renders the pull-request comment (also used as the job summary).
// Its first line is Marker(in.Policy). Then come a headline with the
// verdict and one sentence saying why, one table of checks per scenario
// (baseline, candidate, change with its confidence interval, minimum
// detectable effect, verdict) with notes on every check that did not pass
// and on informational checks, capacity results with the replica and cost
// plan and a Mermaid latency-vs-load chart, and collapsible details:
// settings, environment, validity of the run and warnings.
//
// When the comment would reach opts.MaxChars, check rows are dropped,
// passing ones first, and a line "… N more checks in report.json" says so.
func Markdown(in Input, opts MarkdownOptions) string {
	limit := opts.MaxChars
	if limit <= 0 {
		limit = DefaultMaxChars
	}
	all := checks(in.Verdict)
	order := priorityOrder(all)
	compact := false
	render := func(k int) string {
		shown := make([]bool, len(all))
		for _, i := range order[:k] {
			shown[i] = true
		}
		return renderMarkdown(in, shown, len(all)-k, compact)
	}
	if s := render(len(all)); len(s) < limit {
		return s
	}
	// Rows matter more than long lists in the details, which report.json
	// has in full. Then keep the largest number of rows that fits:
	// rendering is monotone in k.
	compact = true
	if s := render(len(all)); len(s) < limit {
		return s
	}
	lo, hi := 0, len(all)-1
	if s := render(0); len(s) >= limit {
		return cutTo(s, limit)
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if len(render(mid)) < limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return render(lo)
}

// cutTo is the last resort when even the comment without check rows is too
// long (a limit far below GitHub's): it cuts at a line boundary.
func cutTo(s string, limit int) string {
	const tail = "\n\n… comment truncated; the full report is in report.json\n"
	n := limit - len(tail) - 1
	if n <= 0 {
		return ""
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	if i := strings.LastIndexByte(s, '\n'); i > 0 {
		s = s[:i]
	}
	return s + tail
}

// priorityOrder lists check indices in the order they keep their row when
// the comment must be cut: invalid, failing and inconclusive gating checks
// first, then passing ones, then informational ones.
func priorityOrder(cs []gate.Check) []int {
	idx := make([]int, len(cs))
	for i := range idx {
		idx[i] = i
	}
	rank := func(c gate.Check) int {
		r := 0
		switch c.Verdict {
		case gate.Invalid:
			r = 3
		case gate.Fail:
			r = 2
		case gate.Warn:
			r = 1
		}
		if c.Gating {
			r += 4
		}
		return r
	}
	sort.SliceStable(idx, func(a, b int) bool { return rank(cs[idx[a]]) > rank(cs[idx[b]]) })
	return idx
}

// renderMarkdown renders the comment with the rows of the shown checks;
// compact shortens the lists in the details.
func renderMarkdown(in Input, shown []bool, hidden int, compact bool) string {
	var b strings.Builder
	out, reason := outcome(in.Verdict)
	all := checks(in.Verdict)

	b.WriteString(Marker(in.Policy) + "\n")
	title := in.Title
	if title == "" {
		title = "perfgate"
	}
	fmt.Fprintf(&b, "## %s: %s", mdText(clip(title, maxNameChars)), statusWord(out))
	if in.Policy != "" {
		fmt.Fprintf(&b, " — %s", mdText(clip(in.Policy, maxNameChars)))
	}
	b.WriteString("\n\n")
	b.WriteString(mdText(clip(reason, 2*maxReasonChars)) + "\n\n")
	b.WriteString(summaryLine(in, all) + "\n\n")
	writeResolution(&b, in.Verdict)
	if partial(in) && (in.Verdict == nil || in.Verdict.Stopped == nil) {
		b.WriteString("> **Partial run:** it was interrupted before the end; the numbers cover only what was measured.\n\n")
	}
	if out == gate.Invalid && len(all) > 0 {
		b.WriteString("> **The measurement cannot be trusted** (see *Validity of the run*); the numbers below are for diagnosis only.\n\n")
	}

	capacityShown := 0
	for _, sc := range scenarioOrder(in) {
		var rows []gate.Check
		for i, c := range all {
			if c.Scenario == sc && shown[i] {
				rows = append(rows, c)
			}
		}
		run := runOf(in, sc)
		plan := planOf(in, sc)
		hasCapacity := (run != nil && run.Capacity != nil) || plan != nil
		if hasCapacity && capacityShown >= maxCapacity {
			hasCapacity = false
		}
		if len(rows) == 0 && !hasCapacity {
			continue
		}
		name := sc
		if name == "" {
			name = "(unnamed scenario)"
		}
		fmt.Fprintf(&b, "### %s\n\n", mdText(clip(name, maxNameChars)))
		if len(rows) > 0 {
			writeTable(&b, rows)
			writeNotes(&b, rows, in.Material)
		}
		if note := calibrationNote(in.Verdict, sc); note != "" {
			b.WriteString(note + "\n\n")
		}
		if note := looksNote(in.Verdict, sc); note != "" {
			b.WriteString(note + "\n\n")
		}
		if !compact {
			writeTrend(&b, in, sc)
		}
		if hasCapacity {
			capacityShown++
			writeCapacity(&b, in, sc, run, plan)
		}
		writeJourneys(&b, run)
	}
	if hidden > 0 {
		fmt.Fprintf(&b, "… %s more checks in report.json (failing and inconclusive checks are listed first).\n\n", metric.Thousands(float64(hidden)))
	}
	if n := countCapacity(in) - capacityShown; n > 0 && capacityShown >= maxCapacity {
		fmt.Fprintf(&b, "… %s more capacity results in report.json.\n\n", metric.Thousands(float64(n)))
	}
	if hasRegression(all) {
		b.WriteString("<sub>Change: candidate vs baseline with its confidence interval")
		if otherLevel(all) {
			b.WriteString(" (at 95%; a level after an interval, such as (98.8%), is the stricter one that Holm's correction across the gating checks, or a second look, judged it at)")
		}
		b.WriteString(". MDE: the size of the smallest worsening (a latency rising, a throughput falling) this run would have caught 95% of the time.</sub>\n\n")
	}

	writeSettings(&b, in)
	writeEnvironment(&b, in)
	writeValidity(&b, in, out == gate.Invalid, compact)
	writeWarnings(&b, in, compact)
	writeFooter(&b, in)
	return b.String()
}

func hasRegression(cs []gate.Check) bool {
	for _, c := range cs {
		if c.Kind == gate.KindRegression {
			return true
		}
	}
	return false
}

// statusWord is the headline word of an outcome.
func statusWord(o gate.Outcome) string {
	switch o {
	case gate.Pass:
		return "PASS"
	case gate.Warn:
		return "WARN"
	case gate.Fail:
		return "FAIL"
	}
	return "INVALID"
}

func summaryLine(in Input, all []gate.Check) string {
	c := countChecks(all)
	var parts []string
	if c.total == 0 {
		parts = append(parts, "No checks")
	} else {
		var cs []string
		for _, x := range []struct {
			n    int
			word string
		}{{c.fail, "fail"}, {c.invalid, "invalid"}, {c.warn, "warn"}, {c.pass, "pass"}, {c.info, "informational"}} {
			if x.n > 0 {
				cs = append(cs, metric.Thousands(float64(x.n))+" "+x.word)
			}
		}
		noun := "checks"
		if c.total == 1 {
			noun = "check"
		}
		parts = append(parts, fmt.Sprintf("%s %s: %s", metric.Thousands(float64(c.total)), noun, strings.Join(cs, ", ")))
	}
	if m := modeText(in.Mode); m != "" {
		parts = append(parts, m)
	}
	if in.Commit != "" {
		s := "`" + codeText(shortSHA(in.Commit)) + "`"
		if in.BaseCommit != "" {
			s += " vs `" + codeText(shortSHA(in.BaseCommit)) + "`"
		}
		parts = append(parts, s)
	}
	if in.Duration > 0 {
		parts = append(parts, formatDuration(in.Duration))
	}
	return strings.Join(parts, " · ")
}

func modeText(mode string) string {
	switch mode {
	case gate.ModePaired:
		return "paired with a live baseline"
	case gate.ModeHistory:
		return "compared with stored history"
	case gate.ModeNone:
		return "no baseline"
	}
	return mdText(clip(mode, maxNameChars))
}

// otherLevel reports whether a check's interval is at a level other than
// 95%, which its change cell then names.
func otherLevel(cs []gate.Check) bool {
	for _, c := range cs {
		if v := ValuesOf(c); v.Confidence != nil && *v.Confidence < 1 && math.Abs(*v.Confidence-0.95) > 1e-9 {
			return true
		}
	}
	return false
}
