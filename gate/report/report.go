// Package report renders a gate verdict for people and for machines: the
// pull-request comment and job summary in Markdown, report.json (schema
// perfgate/report/v1, documented in docs/report-json.md) and JUnit XML.
//
// Renderers never fail on odd input: a missing verdict is rendered as an
// invalid run (nothing was judged, so nothing is green), and NaN or infinite
// values are shown as "n/a" (null in JSON). URLs are rendered without
// credentials or query strings; request headers are never part of the input.
package report

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/internal/redact"
)

// Input is everything a report shows about one gate run.
type Input struct {
	// Policy is the policy name; it keys the PR comment (see Marker).
	Policy string
	// Title names the tool or job in the headline; empty means "perfgate".
	Title string
	// Verdict is the gate's decision. Nil is rendered as an invalid run.
	Verdict *gate.Verdict
	// Runs holds this run's records, one per scenario, in scenario order. In
	// a paired run each record carries the live baseline arm as Reference.
	Runs []*baseline.Record
	// Mode is the comparison mode: gate.ModePaired, gate.ModeHistory or
	// gate.ModeNone.
	Mode string
	// Commit and Branch identify the candidate; BaseCommit the baseline.
	Commit, BaseCommit, Branch string
	// Target and BaselineURL are the URLs measured. Only scheme, host and
	// path are rendered.
	Target, BaselineURL string
	// Partial is true when the run was interrupted and the report covers
	// only what was measured before.
	Partial bool
	// Duration is the wall-clock time of the whole run.
	Duration time.Duration
	// Material is the policy's material change Δ (0.10 = 10%). When set,
	// the comment calls out regression checks whose minimum detectable
	// effect is larger, because their PASS could not have seen such a change.
	Material float64
	// FailOn is the run's --fail-on setting ("fail", "warn" or "never");
	// with "warn", JUnit reports WARN checks as failures.
	FailOn string
	// Warnings are run-level warnings in addition to Verdict.Warnings.
	Warnings []string
	// RunURL links to the CI run (job logs and artifacts), if any.
	RunURL string
	// History holds, per scenario, the base branch's stored runs the run
	// was compared with (any order): the trend of each gating metric.
	History map[string][]*baseline.Record
}

// Marker returns the hidden first line of the PR comment for policy. The CI
// integration finds its earlier comment by this line and updates it in place,
// so there is exactly one comment per policy.
func Marker(policy string) string {
	return "<!-- perfgate:policy=" + markerSafe(policy) + " -->"
}

// markerSafe keeps a policy name from closing the HTML comment or spanning
// lines.
func markerSafe(s string) string {
	s = strings.ReplaceAll(s, "--", "__")
	s = strings.ReplaceAll(s, ">", "_")
	return strings.Join(strings.Fields(s), "_")
}

// outcome returns the run's outcome and reason; a missing or empty verdict
// is invalid, since nothing was judged.
func outcome(v *gate.Verdict) (gate.Outcome, string) {
	if v == nil || v.Outcome == "" {
		return gate.Invalid, "No verdict was produced: nothing was measured or judged."
	}
	switch v.Outcome {
	case gate.Pass, gate.Warn, gate.Fail, gate.Invalid:
	default:
		return gate.Invalid, fmt.Sprintf("Unknown verdict %q.", string(v.Outcome))
	}
	reason := strings.TrimSpace(v.Reason)
	if reason == "" {
		reason = derivedReason(v)
	}
	return v.Outcome, oneLine(reason)
}

// derivedReason says why when the verdict carries no reason of its own.
func derivedReason(v *gate.Verdict) string {
	c := countChecks(v.Checks)
	switch {
	case len(v.Checks) == 0:
		return "No checks were evaluated."
	case v.Outcome == gate.Pass:
		return fmt.Sprintf("All %d gating checks passed.", c.gating)
	default:
		return fmt.Sprintf("%d failed, %d inconclusive and %d invalid among %d gating checks.", c.fail, c.warn, c.invalid, c.gating)
	}
}

type counts struct {
	total, gating, pass, warn, fail, invalid, info int
}

func countChecks(cs []gate.Check) counts {
	var c counts
	for _, ch := range cs {
		c.total++
		if !ch.Gating {
			c.info++
			continue
		}
		c.gating++
		switch ch.Verdict {
		case gate.Pass:
			c.pass++
		case gate.Warn:
			c.warn++
		case gate.Fail:
			c.fail++
		case gate.Invalid:
			c.invalid++
		}
	}
	return c
}

// checks returns the verdict's checks, nil-safe.
func checks(v *gate.Verdict) []gate.Check {
	if v == nil {
		return nil
	}
	return v.Checks
}

// scenarioOrder lists scenario names: the runs' order first, then any
// scenario that only appears in checks or capacity plans, in order of
// appearance.
func scenarioOrder(in Input) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, r := range in.Runs {
		if r != nil {
			add(r.Scenario)
		}
	}
	for _, c := range checks(in.Verdict) {
		add(c.Scenario)
	}
	if in.Verdict != nil {
		for _, p := range in.Verdict.Capacity {
			add(p.Scenario)
		}
	}
	return out
}

// runOf returns the record of scenario, or nil.
func runOf(in Input, scenario string) *baseline.Record {
	for _, r := range in.Runs {
		if r != nil && r.Scenario == scenario {
			return r
		}
	}
	return nil
}

// planOf returns the capacity plan of scenario, or nil.
func planOf(in Input, scenario string) *gate.CapacityPlan {
	if in.Verdict == nil {
		return nil
	}
	for i := range in.Verdict.Capacity {
		if in.Verdict.Capacity[i].Scenario == scenario {
			return &in.Verdict.Capacity[i]
		}
	}
	return nil
}

// allWarnings gathers run-level, verdict-level and per-check warnings,
// without duplicates, in that order.
func allWarnings(in Input) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		s = oneLine(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, w := range in.Warnings {
		add(w)
	}
	if in.Verdict != nil {
		for _, w := range in.Verdict.Warnings {
			add(w)
		}
	}
	// A warning several checks share (the prior τ before calibration, say)
	// is one line that names them all.
	var texts []string
	labels := map[string][]string{}
	for _, c := range checks(in.Verdict) {
		for _, w := range c.Warnings {
			w = oneLine(w)
			if w == "" {
				continue
			}
			if _, ok := labels[w]; !ok {
				texts = append(texts, w)
			}
			if l := checkLabel(c); !slices.Contains(labels[w], l) {
				labels[w] = append(labels[w], l)
			}
		}
	}
	for _, w := range texts {
		add(strings.Join(labels[w], ", ") + ": " + w)
	}
	return out
}

// checkLabel names a check with its scenario, for lists outside its table.
func checkLabel(c gate.Check) string {
	if c.Scenario == "" {
		return checkName(c)
	}
	return c.Scenario + " " + checkName(c)
}

// checkName is the check's name, built from metric and statistic if empty.
func checkName(c gate.Check) string {
	if c.Name != "" {
		return c.Name
	}
	switch {
	case c.Metric != "" && c.Stat != "" && c.Stat != metric.ValueStat:
		return c.Metric + "." + c.Stat
	case c.Metric != "":
		return c.Metric
	}
	return "check"
}

// cleanURL drops credentials, query and fragment from a URL (redact.Parsed),
// so that a token passed in a URL is never rendered. Input that is not an
// absolute URL gives "".
func cleanURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	// A fragment never names what was measured; the report leaves it out.
	u.Fragment, u.RawFragment = "", ""
	return redact.Parsed(u)
}

// hostOf returns the host (and port) of a URL, or "".
func hostOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	return u.Host
}

// oneLine collapses whitespace, so a reason stays one line in every format.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// partial reports whether the run, or any of its arms, was cut short.
func partial(in Input) bool {
	if in.Partial {
		return true
	}
	for _, r := range in.Runs {
		if r != nil && (r.Partial || r.Reference != nil && r.Reference.Partial) {
			return true
		}
	}
	return false
}

// sentAndErrors returns how many requests a record's windows sent (cancelled
// ones included) and its failed requests by error class.
func sentAndErrors(r *baseline.Record) (sent int64, byClass map[string]int64) {
	byClass = map[string]int64{}
	for _, w := range r.Windows {
		sent += w.Sent
		for class, n := range w.Errors {
			byClass[class] += n
		}
	}
	return sent, byClass
}

// finite reports whether v is a usable number.
func finite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

// schedLagP99 returns the p99 schedule lag of a record in ms, if recorded.
func schedLagP99(r *baseline.Record) (float64, bool) {
	if r == nil || r.Metrics == nil {
		return 0, false
	}
	m := r.Metrics[metric.ScheduleLag]
	if m == nil || m.Pooled.Stats == nil {
		return 0, false
	}
	v, ok := m.Pooled.Stats["p99"]
	return v, ok && finite(v)
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
