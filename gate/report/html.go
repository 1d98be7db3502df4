package report

import (
	"bytes"
	_ "embed"
	"html/template"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/internal/inert"
)

// HTMLFile is the name of the HTML report in a report directory.
const HTMLFile = "report.html"

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// HTML renders report.html: one self-contained page (inline CSS and SVG; no
// script, font, image or request of any kind) with the verdict, the checks,
// and per scenario the latency percentiles of every window for both arms,
// latency vs load of a capacity search, the errors by class and the trend
// of each gating metric over the base branch's stored runs. It is for a
// person opening a CI artefact; report.json stays the machine's record.
// Every text perfgate did not write is escaped (html/template) and cleaned
// of control and bidirectional characters (inert.Value).
func HTML(in Input) ([]byte, error) {
	var buf bytes.Buffer
	err := htmlTemplate.Execute(&buf, htmlPageOf(in))
	return buf.Bytes(), err
}

type htmlPage struct {
	Title, Policy, Outcome, Word, Reason string
	Meta                                 [][2]string
	RunURL                               string
	Scenarios                            []htmlScenario
	Warnings                             []string
}

type htmlScenario struct {
	Name      string
	ID        string
	Checks    []htmlCheck
	Latency   []template.HTML
	Capacity  template.HTML
	Errors    []htmlError
	ErrorBars template.HTML
	Trend     []template.HTML
	Invalid   []string
}

type htmlCheck struct {
	Name, Kind, Baseline, Candidate, Change, Limit, MDE, Verdict, Reason string
	Gating                                                               bool
}

type htmlError struct {
	Class            string
	Candidate, Other string
	Example          string
}

func htmlPageOf(in Input) htmlPage {
	out, reason := outcome(in.Verdict)
	p := htmlPage{
		Title: cmpOr(inert.Value(in.Title), "perfgate"), Policy: inert.Value(in.Policy),
		Outcome: string(out), Word: statusWord(out), Reason: inert.Value(reason),
	}
	add := func(k, v string) {
		if v != "" {
			p.Meta = append(p.Meta, [2]string{k, inert.Value(v)})
		}
	}
	add("mode", modeText(in.Mode))
	add("commit", shortSHA(in.Commit))
	add("baseline commit", shortSHA(in.BaseCommit))
	add("branch", in.Branch)
	add("target", cleanURL(in.Target))
	add("live baseline", cleanURL(in.BaselineURL))
	if in.Duration > 0 {
		add("duration", formatDuration(in.Duration))
	}
	add("fail on", in.FailOn)
	if strings.HasPrefix(in.RunURL, "https://") {
		p.RunURL = in.RunURL
	}
	all := checks(in.Verdict)
	for _, sc := range scenarioOrder(in) {
		s := htmlScenario{Name: cmpOr(inert.Value(sc), "(unnamed scenario)"), ID: "scenario-" + anchor(sc)}
		for _, c := range all {
			if c.Scenario != sc {
				continue
			}
			v := ValuesOf(c)
			s.Checks = append(s.Checks, htmlCheck{
				Name: inert.Value(checkName(c)), Kind: c.Kind, Baseline: v.BaselineText(), Candidate: v.CandidateText(),
				Change: v.ChangeText(), Limit: v.LimitText(), MDE: v.MDEText(), Verdict: string(c.Verdict),
				Reason: inert.Value(clip(c.Reason, 2*maxReasonChars)), Gating: c.Gating,
			})
		}
		if run := runOf(in, sc); run != nil {
			s.Latency = latencyCharts(run)
			if run.Capacity != nil {
				s.Capacity = capacityChart(in, sc, run)
			}
			s.Errors, s.ErrorBars = errorBreakdown(run)
			for _, r := range run.Invalid {
				s.Invalid = append(s.Invalid, inert.Value(clip(r, maxReasonChars)))
			}
		}
		for _, t := range Trends(in, sc) {
			s.Trend = append(s.Trend, trendChart(t))
		}
		p.Scenarios = append(p.Scenarios, s)
	}
	ws := in.Warnings
	if in.Verdict != nil {
		ws = append(append([]string(nil), in.Verdict.Warnings...), ws...)
	}
	for _, w := range ws {
		p.Warnings = append(p.Warnings, inert.Value(clip(w, maxReasonChars)))
	}
	return p
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// anchor makes a fragment identifier of a scenario name.
func anchor(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// latencyStats are the percentiles drawn over time.
var latencyStats = []string{"p50", "p95", "p99"}

// latencyCharts draws, for ttft and e2e (those measured), the percentiles
// of every window of the run, and of its reference arm dashed.
func latencyCharts(run *baseline.Record) []template.HTML {
	var out []template.HTML
	for _, name := range []string{metric.TTFT, metric.E2E} {
		c := svgChart{Title: name + " latency per window", XTitle: "time (s, end of window)", YTitle: "latency (ms)"}
		arms := []*baseline.Record{run}
		if run.Reference != nil {
			arms = append(arms, run.Reference)
		}
		for a, rec := range arms {
			m := rec.Metrics[name]
			if m == nil || len(m.Windows) == 0 {
				continue
			}
			for i, stat := range latencyStats {
				s := svgSeries{Name: stat, Color: palette[[]int{0, 3, 1}[i]], Mark: -1, Dashed: a == 1}
				if a == 1 {
					s.Name = "baseline " + stat
				}
				for w, ws := range m.Windows {
					v, ok := ws.Stats[stat]
					if !ok || ws.Count == 0 {
						continue
					}
					s.X = append(s.X, windowEnd(rec, w))
					s.Y = append(s.Y, v)
				}
				if len(s.X) > 0 {
					c.Series = append(c.Series, s)
				}
			}
		}
		if len(c.Series) > 0 {
			out = append(out, template.HTML(c.render()))
		}
	}
	return out
}

// windowEnd is the end of window w of rec in seconds from the start of the
// measured windows.
func windowEnd(rec *baseline.Record, w int) float64 {
	if w < len(rec.Windows) && rec.Windows[w].End > 0 {
		return rec.Windows[w].End
	}
	return float64(w+1) * rec.WindowSeconds
}

// capacityChart draws the latency-vs-load curve of a capacity search as
// the comment's Mermaid chart does, with the SLO limit.
func capacityChart(in Input, sc string, run *baseline.Record) template.HTML {
	key := chartKey(run.Capacity)
	if key == "" {
		return ""
	}
	pts := curve(run.Capacity, key)
	name, stat := metric.SplitName(key)
	s := svgSeries{Name: stat + " " + name, Mark: -1}
	for _, p := range pts {
		s.X, s.Y = append(s.X, p.rate), append(s.Y, p.y)
	}
	c := svgChart{Title: inert.Value(clip(sc, maxNameChars)) + ": " + stat + " " + name + " latency vs load", XTitle: "offered rate (req/s)", YTitle: "latency (ms)", Series: []svgSeries{s}}
	if limit, ok := sloLimitFor(in, sc, key); ok {
		c.Limit, c.LimitLabel = &limit, "SLO "+metric.Format(limit, metric.Ms)
	}
	return template.HTML(c.render())
}

// errorBreakdown counts the failed requests of run (and of its reference
// arm) by class, most frequent first, with the first message of each.
func errorBreakdown(run *baseline.Record) ([]htmlError, template.HTML) {
	count := func(r *baseline.Record) map[string]int64 {
		n := map[string]int64{}
		if r == nil {
			return n
		}
		for _, w := range r.Windows {
			for k, v := range w.Errors {
				n[k] += v
			}
		}
		return n
	}
	cand, ref := count(run), count(run.Reference)
	classes := map[string]bool{}
	for k := range cand {
		classes[k] = true
	}
	for k := range ref {
		classes[k] = true
	}
	keys := sortedKeys(classes)
	sort.SliceStable(keys, func(i, j int) bool { return cand[keys[i]] > cand[keys[j]] })
	_, total := run.ErrorCounts()
	var rows []htmlError
	var labels, texts []string
	var values []float64
	for _, k := range keys {
		e := htmlError{Class: inert.Value(k), Candidate: metric.Thousands(float64(cand[k])), Example: inert.Value(clip(run.ErrorExamples[k], maxReasonChars))}
		if run.Reference != nil {
			e.Other = metric.Thousands(float64(ref[k]))
		}
		rows = append(rows, e)
		labels, values = append(labels, e.Class), append(values, float64(cand[k]))
		share := ""
		if total > 0 {
			share = " (" + metric.Format(float64(cand[k])/float64(total), metric.Ratio) + ")"
		}
		texts = append(texts, e.Candidate+share)
	}
	if len(rows) == 0 {
		return nil, ""
	}
	return rows, template.HTML(svgBars("failed requests by class (this run)", labels, values, texts))
}

// trendChart draws a gating metric over the base branch's stored runs and
// this run, the last point, larger.
func trendChart(t gate.Trend) template.HTML {
	s := svgSeries{Name: t.Metric, Mark: -1}
	var labels []string
	for i, l := range trendLabels(t) {
		if t.Points[i].Current {
			s.Mark = i
		}
		labels = append(labels, inert.Value(l[0])+l[1])
		s.X, s.Y = append(s.X, float64(i)), append(s.Y, trendScale(t)*t.Points[i].Value)
	}
	c := svgChart{Title: inert.Value(t.Metric) + " over the base branch's stored runs", XTitle: "run (commit, oldest first)", YTitle: trendAxis(t), XLabels: labels, Series: []svgSeries{s}, Fit: true}
	return template.HTML(c.render())
}
