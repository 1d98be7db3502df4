package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/perfgate/perfgate/baseline"
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
	if partial(in) {
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
		if hasCapacity {
			capacityShown++
			writeCapacity(&b, in, sc, run, plan)
		}
	}
	if hidden > 0 {
		fmt.Fprintf(&b, "… %s more checks in report.json (failing and inconclusive checks are listed first).\n\n", metric.Thousands(float64(hidden)))
	}
	if n := countCapacity(in) - capacityShown; n > 0 && capacityShown >= maxCapacity {
		fmt.Fprintf(&b, "… %s more capacity results in report.json.\n\n", metric.Thousands(float64(n)))
	}
	if hasRegression(all) {
		b.WriteString("<sub>Change: candidate vs baseline with its confidence interval. MDE: the smallest worsening this run would have caught 95% of the time.</sub>\n\n")
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

func writeTable(b *strings.Builder, rows []gate.Check) {
	b.WriteString("| check | baseline | candidate | change [interval] | MDE | verdict |\n")
	b.WriteString("| :-- | --: | --: | --: | --: | :-- |\n")
	for _, c := range rows {
		name := "`" + codeText(clip(checkName(c), maxNameChars)) + "`"
		base, change, mde := dash, dash, dash
		if c.Kind == gate.KindSLO {
			op, limit := sloLimit(c)
			if op := formatOp(op); op != "" {
				name += " " + op + " " + metric.Format(limit, c.Unit)
			}
		} else {
			if c.Mode != gate.ModeNone {
				base = metric.Format(c.Baseline, c.Unit)
				change = changeCell(c)
			}
			if c.MDE != 0 {
				mde = formatMDE(c)
			}
		}
		verdict := verdictCell(c)
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", name, base, metric.Format(c.Candidate, c.Unit), change, mde, verdict)
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

func changeCell(c gate.Check) string {
	s := formatInterval(c.Change, c.CILow, c.CIHigh, absoluteChange(c))
	if finite(c.Confidence) && c.Confidence > 0 && c.Confidence < 1 && math.Abs(c.Confidence-0.95) > 1e-9 {
		s += " (" + metric.FormatNumber(c.Confidence*100) + "%)"
	}
	return s
}

// formatMDE prints the minimum detectable effect in the direction of a
// worsening: up for latencies, down for throughput.
func formatMDE(c gate.Check) string {
	v := math.Abs(c.MDE)
	if c.HigherIsBetter {
		v = -v
	}
	return formatChange(v, absoluteChange(c))
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
			if reason == "" {
				reason = "no reason given"
			}
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
			lines = append(lines, fmt.Sprintf("- This run could not have detected a %s change in `%s` (MDE %s): its PASS is weak evidence.",
				formatPercent(material), codeText(clip(checkName(c), maxNameChars)), formatMDE(c)))
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString(strings.Join(lines, "\n") + "\n\n")
}

func countCapacity(in Input) int {
	n := 0
	for _, sc := range scenarioOrder(in) {
		r := runOf(in, sc)
		if (r != nil && r.Capacity != nil) || planOf(in, sc) != nil {
			n++
		}
	}
	return n
}

func writeCapacity(b *strings.Builder, in Input, sc string, run *baseline.Record, plan *gate.CapacityPlan) {
	var capRes *baseline.Capacity
	if run != nil {
		capRes = run.Capacity
	}
	capRPS, baseRPS := math.NaN(), math.NaN()
	if capRes != nil {
		capRPS = capRes.RPS
	} else if plan != nil {
		capRPS = plan.Candidate.CapacityRPS
	}
	if run != nil && run.Reference != nil && run.Reference.Capacity != nil {
		baseRPS = run.Reference.Capacity.RPS
	} else if plan != nil && plan.Baseline != nil {
		baseRPS = plan.Baseline.CapacityRPS
	}
	s := "**Capacity:** " + metric.Format(capRPS, metric.RPS)
	if finite(baseRPS) {
		s += " (baseline " + metric.Format(baseRPS, metric.RPS)
		if baseRPS > 0 && finite(capRPS) {
			s += ", " + formatChange(capRPS/baseRPS-1, false)
		}
		s += ")"
	}
	if capRes != nil {
		if capRes.BrokenBy != "" {
			s += "; above it `" + codeText(clip(capRes.BrokenBy, maxNameChars)) + "` broke first"
		}
		if !capRes.Converged {
			s += "; the search did not converge to the requested precision"
		}
	}
	b.WriteString(s + ".\n\n")
	if plan != nil {
		b.WriteString("**Plan:** " + planSentence(plan) + "\n\n")
	}
	if capRes != nil {
		writeChart(b, in, sc, run)
	}
}

// planSentence says what capacity means in replicas and money, for example
// "needs 9 replicas instead of 8 for 120 req/s at 20% headroom; $0.84
// instead of $0.75 per 1M requests".
func planSentence(p *gate.CapacityPlan) string {
	c, base := p.Candidate, p.Baseline
	var s string
	switch {
	case base == nil:
		s = fmt.Sprintf("needs %s", replicas(c.Replicas))
	case base.Replicas == c.Replicas:
		s = fmt.Sprintf("needs %s, as the baseline does,", replicas(c.Replicas))
	default:
		s = fmt.Sprintf("needs %s instead of %s", replicas(c.Replicas), metric.Thousands(float64(base.Replicas)))
	}
	s += fmt.Sprintf(" for %s at %s headroom", metric.Format(p.PeakRPS, metric.RPS), formatPercent(p.Headroom))
	cost := func(cand, b float64, per string) string {
		if base == nil {
			return "; " + formatUSD(cand) + " per " + per
		}
		return "; " + formatUSD(cand) + " instead of " + formatUSD(b) + " per " + per
	}
	s += cost(c.USDPerMillionRequests, baseOr(base, func(z *gate.Sizing) float64 { return z.USDPerMillionRequests }), "1M requests")
	if c.USDPerThousandOutputTokens != 0 {
		s += cost(c.USDPerThousandOutputTokens, baseOr(base, func(z *gate.Sizing) float64 { return z.USDPerThousandOutputTokens }), "1k output tokens")
	}
	if p.InstanceHourUSD != 0 {
		s += " (at " + formatUSD(p.InstanceHourUSD) + " per instance-hour)"
	}
	return s + "."
}

func baseOr(z *gate.Sizing, f func(*gate.Sizing) float64) float64 {
	if z == nil {
		return math.NaN()
	}
	return f(z)
}

func replicas(n int) string {
	if n == 1 {
		return "1 replica"
	}
	return metric.Thousands(float64(n)) + " replicas"
}

// chartKey picks the latency series to plot: the p95 of the SLO that broke
// first when it is one, else e2e, else ttft, else any p95.
func chartKey(c *baseline.Capacity) string {
	have := map[string]bool{}
	for _, st := range c.Steps {
		for k, v := range st.Values {
			if finite(v) {
				have[k] = true
			}
		}
	}
	isP95 := func(k string) bool {
		_, stat := metric.SplitName(k)
		return stat == chartStat
	}
	if f := strings.Fields(c.BrokenBy); len(f) > 0 && have[f[0]] && isP95(f[0]) {
		return f[0]
	}
	for _, m := range []string{metric.E2E, metric.TTFT} {
		if k := m + "." + chartStat; have[k] {
			return k
		}
	}
	for _, k := range sortedKeys(have) {
		if m, _ := metric.SplitName(k); isP95(k) && m != metric.ErrorRate {
			return k
		}
	}
	return ""
}

// chartStat is the statistic a capacity chart plots.
const chartStat = "p95"

type chartPoint struct{ rate, y float64 }

// curve returns the steps of c that have a value of key, by rate, one point
// per rate (the last measured), thinned to maxChartPoints.
func curve(c *baseline.Capacity, key string) []chartPoint {
	byRate := map[float64]float64{}
	for _, st := range c.Steps {
		v, ok := st.Values[key]
		if ok && finite(v) && finite(st.Rate) {
			byRate[st.Rate] = v
		}
	}
	pts := make([]chartPoint, 0, len(byRate))
	for r, v := range byRate {
		pts = append(pts, chartPoint{r, v})
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].rate < pts[j].rate })
	if len(pts) <= maxChartPoints {
		return pts
	}
	thin := make([]chartPoint, 0, maxChartPoints)
	for i := 0; i < maxChartPoints; i++ {
		thin = append(thin, pts[i*(len(pts)-1)/(maxChartPoints-1)])
	}
	return thin
}

func writeChart(b *strings.Builder, in Input, sc string, run *baseline.Record) {
	key := chartKey(run.Capacity)
	if key == "" {
		return
	}
	pts := curve(run.Capacity, key)
	if len(pts) < 2 {
		return
	}
	name, _ := metric.SplitName(key)
	var xs, ys, limits []string
	limit, hasLimit := sloLimitFor(in, sc, key)
	for _, p := range pts {
		xs = append(xs, strconv.Quote(trimmed(p.rate, 1))) // as the steps table shows rates
		ys = append(ys, strconv.FormatFloat(p.y, 'f', 1, 64))
		if hasLimit {
			limits = append(limits, strconv.FormatFloat(limit, 'f', 1, 64))
		}
	}
	b.WriteString("```mermaid\nxychart-beta\n")
	fmt.Fprintf(b, "    title \"%s: p95 %s latency vs load\"\n", chartText(clip(sc, maxNameChars)), chartText(name))
	fmt.Fprintf(b, "    x-axis \"offered rate (req/s)\" [%s]\n", strings.Join(xs, ", "))
	b.WriteString("    y-axis \"p95 latency (ms)\"\n")
	fmt.Fprintf(b, "    line [%s]\n", strings.Join(ys, ", "))
	if hasLimit {
		fmt.Fprintf(b, "    line [%s]\n", strings.Join(limits, ", "))
	}
	b.WriteString("```\n\n")
	caption := fmt.Sprintf("p95 `%s` latency at each rate the capacity search measured", codeText(name))
	if hasLimit {
		caption += "; flat line: the SLO limit, " + metric.Format(limit, metric.Ms)
	}
	b.WriteString("<sub>" + caption + ".</sub>\n\n")
	writeSteps(b, run.Capacity, key)
}

// writeSteps lists the capacity search's steps in the order measured.
func writeSteps(b *strings.Builder, c *baseline.Capacity, key string) {
	b.WriteString("<details><summary>Capacity search steps</summary>\n\n")
	b.WriteString("| rate | achieved | samples | " + codeText(key) + " | SLOs |\n| --: | --: | --: | --: | :-- |\n")
	steps := c.Steps
	more := 0
	if len(steps) > maxChartPoints {
		more = len(steps) - maxChartPoints
		steps = steps[:maxChartPoints]
	}
	for _, st := range steps {
		met := "met"
		if !st.Met {
			met = "breached"
			if st.Breached != "" {
				met += " `" + codeText(clip(st.Breached, maxNameChars)) + "`"
			}
		}
		v, ok := st.Values[key]
		if !ok {
			v = math.NaN()
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", metric.Format(st.Rate, metric.RPS), metric.Format(st.Achieved, metric.RPS),
			metric.Thousands(float64(st.Samples)), metric.Format(v, metric.Ms), met)
	}
	if more > 0 {
		fmt.Fprintf(b, "\n… %d more steps in report.json\n", more)
	}
	b.WriteString("\n</details>\n\n")
}

// sloLimitFor finds the limit of the scenario's SLO on key, in ms.
func sloLimitFor(in Input, sc, key string) (float64, bool) {
	for _, c := range checks(in.Verdict) {
		if c.Scenario != sc || c.Kind != gate.KindSLO || checkName(c) != key || c.Unit != metric.Ms {
			continue
		}
		_, l := sloLimit(c)
		if finite(l) && l > 0 {
			return l, true
		}
	}
	return 0, false
}

func writeSettings(b *strings.Builder, in Input) {
	var items []string
	add := func(k, v string) {
		if v != "" {
			items = append(items, "- "+k+": "+v)
		}
	}
	mode := in.Mode
	switch mode {
	case gate.ModePaired:
		mode = "paired (candidate and live baseline under the same schedule at the same time)"
	case gate.ModeHistory:
		mode = "history (this run against stored runs of the default branch)"
	case gate.ModeNone:
		mode = "none (no baseline to compare with: SLOs only)"
	default:
		mode = mdText(clip(mode, maxNameChars))
	}
	add("mode", mode)
	add("policy", mdText(clip(in.Policy, maxNameChars)))
	add("windows", windowsText(in.Runs))
	add("fail on", mdText(clip(in.FailOn, maxNameChars)))
	if t := cleanURL(in.Target); t != "" {
		add("target", "`"+codeText(t)+"`")
	}
	if t := cleanURL(in.BaselineURL); t != "" {
		add("live baseline", "`"+codeText(t)+"`")
	}
	if in.Commit != "" {
		s := "`" + codeText(clip(in.Commit, maxNameChars)) + "`"
		if in.Branch != "" {
			s += " on " + "`" + codeText(clip(in.Branch, maxNameChars)) + "`"
		}
		add("commit", s)
	}
	if in.BaseCommit != "" {
		add("base", "`"+codeText(clip(in.BaseCommit, maxNameChars))+"`")
	}
	if in.Duration > 0 {
		add("duration", formatDuration(in.Duration))
	}
	if r := firstRun(in.Runs); r != nil && r.MetricDefs != "" {
		add("metric definitions", "`"+codeText(clip(r.MetricDefs, maxNameChars))+"`")
	}
	writeDetails(b, "Settings", items, false)
}

// windowsText summarizes the windows of the runs: "12 × 5 s", or per
// scenario when they differ.
func windowsText(runs []*baseline.Record) string {
	var parts []string
	seen := map[string]bool{}
	for _, r := range runs {
		if r == nil {
			continue
		}
		w := fmt.Sprintf("%d × %s s", len(r.Windows), trimmed(r.WindowSeconds, 2))
		switch {
		case len(r.Windows) == 0 && r.Capacity != nil:
			w = fmt.Sprintf("capacity search, %d steps", len(r.Capacity.Steps))
		case len(r.Windows) == 0:
			w = "no windows"
		}
		parts = append(parts, mdText(clip(r.Scenario, maxNameChars))+" "+w)
		seen[w] = true
	}
	if len(seen) == 1 {
		for w := range seen {
			return w
		}
	}
	if len(parts) > maxRunsListed {
		parts = append(parts[:maxRunsListed], fmt.Sprintf("… %d more", len(parts)-maxRunsListed))
	}
	return strings.Join(parts, "; ")
}

func firstRun(runs []*baseline.Record) *baseline.Record {
	for _, r := range runs {
		if r != nil {
			return r
		}
	}
	return nil
}

func writeEnvironment(b *strings.Builder, in Input) {
	r := firstRun(in.Runs)
	if r == nil {
		return
	}
	items := envItems("", r.Env, nil)
	if r.Reference != nil {
		items = append(items, envItems("baseline ", r.Reference.Env, &r.Env)...)
	}
	writeDetails(b, "Environment", items, false)
}

// envItems lists e; with same set, only the items that differ from it.
func envItems(prefix string, e baseline.Env, same *baseline.Env) []string {
	var items []string
	var sameItems map[string]bool
	if same != nil {
		sameItems = map[string]bool{}
		for _, it := range envItems(prefix, *same, nil) {
			sameItems[it] = true
		}
	}
	add := func(k, v string) {
		it := "- " + prefix + k + ": " + v
		if v != "" && !sameItems[it] {
			items = append(items, it)
		}
	}
	if e.OS != "" || e.Arch != "" {
		add("platform", mdText(e.OS+"/"+e.Arch))
	}
	if e.CPUs > 0 {
		add("CPUs", strconv.Itoa(e.CPUs))
	}
	add("target host", mdText(clip(e.Target, maxNameChars)))
	add("model", mdText(clip(e.Model, maxNameChars)))
	add("perfgate", mdText(clip(e.Perfgate, maxNameChars)))
	keys := sortedKeys(e.Labels)
	for i, k := range keys {
		if i == maxLabels {
			add("labels", fmt.Sprintf("… %d more", len(keys)-maxLabels))
			break
		}
		add(mdText(clip(k, maxNameChars)), mdText(clip(e.Labels[k], maxNameChars)))
	}
	return items
}

func writeValidity(b *strings.Builder, in Input, open, compact bool) {
	type arm struct {
		label string
		r     *baseline.Record
	}
	var arms []arm
	for _, r := range in.Runs {
		if r == nil {
			continue
		}
		arms = append(arms, arm{r.Scenario, r})
		if r.Reference != nil {
			arms = append(arms, arm{r.Scenario + " (baseline arm)", r.Reference})
		}
	}
	if len(arms) == 0 {
		return
	}
	// Invalid arms first, so they survive the cap.
	sort.SliceStable(arms, func(i, j int) bool { return !arms[i].r.Valid && arms[j].r.Valid })
	limit := maxRunsListed
	if compact {
		limit = maxRunsListed / 4
	}
	var items []string
	for i, a := range arms {
		if i == limit {
			items = append(items, fmt.Sprintf("- … %s more runs in report.json", metric.Thousands(float64(len(arms)-limit))))
			break
		}
		items = append(items, "- "+validityLine(mdText(clip(a.label, maxNameChars)), a.r))
	}
	writeDetails(b, "Validity of the run", items, open)
}

func validityLine(label string, r *baseline.Record) string {
	status := "valid"
	if !r.Valid {
		status = "**invalid**"
	}
	if r.Partial {
		status += ", partial"
	}
	s := label + ": " + status
	s += "; offered " + metric.Format(r.Offered, metric.RPS) + ", achieved " + metric.Format(r.Achieved, metric.RPS)
	if r.Offered > 0 && finite(r.Achieved) {
		s += " (" + metric.FormatNumber(r.Achieved/r.Offered*100) + "%)"
	}
	if lag, ok := schedLagP99(r); ok {
		s += "; schedule lag p99 " + metric.Format(lag, metric.Ms)
	}
	if r.ColdStart > 0 {
		s += "; cold start " + metric.Format(r.ColdStart, metric.Ms)
	}
	s += errorsText(r)
	reasons := r.Invalid
	more := 0
	if len(reasons) > maxInvalidReason {
		more = len(reasons) - maxInvalidReason
		reasons = reasons[:maxInvalidReason]
	}
	for i, x := range reasons {
		if i == 0 {
			s += ": "
		} else {
			s += "; "
		}
		s += mdText(clip(oneLine(x), maxReasonChars))
	}
	if more > 0 {
		s += fmt.Sprintf("; … %d more", more)
	}
	return s
}

// errorsText says how many measured requests failed, by class, with the
// first message of each class: "; 12 of 40 requests failed: 12 timeout
// (no complete response within 500ms)". It is empty when none failed.
func errorsText(r *baseline.Record) string {
	failed, _ := r.ErrorCounts()
	if failed == 0 {
		return ""
	}
	sent, byClass := sentAndErrors(r)
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool {
		if byClass[classes[i]] != byClass[classes[j]] {
			return byClass[classes[i]] > byClass[classes[j]]
		}
		return classes[i] < classes[j]
	})
	parts := make([]string, 0, len(classes))
	for _, c := range classes {
		part := metric.Thousands(float64(byClass[c])) + " " + mdText(c)
		if msg := r.ErrorExamples[c]; msg != "" {
			part += " (" + mdText(clip(oneLine(msg), maxReasonChars)) + ")"
		}
		parts = append(parts, part)
	}
	return fmt.Sprintf("; %s of %s requests failed: %s", metric.Thousands(float64(failed)), metric.Thousands(float64(sent)), strings.Join(parts, ", "))
}

func writeWarnings(b *strings.Builder, in Input, compact bool) {
	ws := allWarnings(in)
	if len(ws) == 0 {
		return
	}
	limit := maxWarnings
	if compact {
		limit = maxWarnings / 8
	}
	var items []string
	for i, w := range ws {
		if i == limit {
			items = append(items, fmt.Sprintf("- … %s more warnings in report.json", metric.Thousands(float64(len(ws)-limit))))
			break
		}
		items = append(items, "- "+mdText(clip(w, maxReasonChars)))
	}
	writeDetails(b, fmt.Sprintf("Warnings (%s)", metric.Thousands(float64(len(ws)))), items, false)
}

func writeDetails(b *strings.Builder, summary string, items []string, open bool) {
	if len(items) == 0 {
		return
	}
	if open {
		b.WriteString("<details open>")
	} else {
		b.WriteString("<details>")
	}
	b.WriteString("<summary>" + summary + "</summary>\n\n")
	b.WriteString(strings.Join(items, "\n"))
	b.WriteString("\n\n</details>\n\n")
}

func writeFooter(b *strings.Builder, in Input) {
	parts := []string{"perfgate"}
	if r := firstRun(in.Runs); r != nil && r.Env.Perfgate != "" {
		parts[0] += " " + mdText(clip(r.Env.Perfgate, maxNameChars))
	}
	if u := cleanURL(in.RunURL); u != "" && (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
		parts = append(parts, "[CI run]("+strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(u)+")")
	}
	parts = append(parts, "full numbers in report.json")
	b.WriteString("<sub>" + strings.Join(parts, " · ") + "</sub>\n")
}

// formatDuration prints a duration for people: "48s", "1m 12s", "1h 05m".
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		s := int(d.Round(time.Second) / time.Second)
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	}
	m := int(d.Round(time.Minute) / time.Minute)
	return fmt.Sprintf("%dh %02dm", m/60, m%60)
}

// shortSHA shortens a full commit hash to 7 characters.
func shortSHA(s string) string {
	if len(s) == 40 && strings.Trim(strings.ToLower(s), "0123456789abcdef") == "" {
		return s[:7]
	}
	return clip(s, maxNameChars)
}

// clip shortens s to at most n runes, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

var mdEscaper = strings.NewReplacer(
	"\\", "\\\\", "|", "\\|", "<", "&lt;", ">", "&gt;", "*", "\\*", "`", "\\`",
	"](", "]\\(", "\n", " ", "\r", " ",
)

// mdText escapes text from the inputs so it renders literally and cannot
// open HTML, inline links, emphasis or table cells. Brackets are left alone
// unless they would form a link: the comment defines no link references.
func mdText(s string) string { return mdEscaper.Replace(s) }

var codeEscaper = strings.NewReplacer("`", "'", "|", "\\|", "\n", " ", "\r", " ")

// codeText makes s safe inside a code span in a table cell.
func codeText(s string) string { return codeEscaper.Replace(s) }

var chartEscaper = strings.NewReplacer("\"", "'", "\n", " ", "\r", " ", "[", "(", "]", ")", "`", "'")

// chartText makes s safe inside a quoted Mermaid string.
func chartText(s string) string { return chartEscaper.Replace(s) }
