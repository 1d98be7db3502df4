package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
)

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

func writeWarnings(b *strings.Builder, in Input, compact bool) {
	ws := allWarnings(in)
	if len(ws) == 0 {
		return
	}
	limit := maxWarnings
	if compact {
		limit = maxWarnings / 8
	}
	items := listItems(len(ws), limit, "warnings", func(i int) string { return mdText(clip(ws[i], maxReasonChars)) })
	writeDetails(b, fmt.Sprintf("Warnings (%s)", metric.Thousands(float64(len(ws)))), items, false)
}

// listItems renders n items as list lines, at most limit of them; a last
// line says how many more report.json has.
func listItems(n, limit int, what string, item func(i int) string) []string {
	items := make([]string, 0, min(n, limit+1))
	for i := range n {
		if i == limit {
			return append(items, fmt.Sprintf("- … %s more %s in report.json", metric.Thousands(float64(n-limit)), what))
		}
		items = append(items, "- "+item(i))
	}
	return items
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
