package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
)

// Caps on the trend: charts per scenario and runs per chart (the newest).
const (
	maxTrendCharts = 4
	maxTrendPoints = 30
)

// trendChecks are the checks of scenario sc whose trend is shown: the
// gating regression checks, in the verdict's order, at most maxTrendCharts.
func trendChecks(in Input, sc string) []gate.Check {
	var out []gate.Check
	for _, c := range checks(in.Verdict) {
		if c.Scenario == sc && c.Gating && c.Kind == gate.KindRegression && len(out) < maxTrendCharts {
			out = append(out, c)
		}
	}
	return out
}

// Trends returns, for each gating metric of scenario sc, its values in the
// base branch's stored runs (in.History) and in this run, oldest first and
// at most maxTrendPoints; none without stored runs.
func Trends(in Input, sc string) []gate.Trend {
	if len(in.History[sc]) == 0 {
		return nil
	}
	var out []gate.Trend
	for _, c := range trendChecks(in, sc) {
		t := gate.TrendOf(sc, checkName(c), in.History[sc], runOf(in, sc))
		if t.Points, _ = lastN(t.Points, maxTrendPoints); len(t.Points) >= 2 {
			out = append(out, t)
		}
	}
	return out
}

// lastN returns the last n elements of s and how many it leaves out.
func lastN[T any](s []T, n int) ([]T, int) {
	if len(s) <= n {
		return s, 0
	}
	return s[len(s)-n:], len(s) - n
}

// writeTrend writes, in a collapsed section, one Mermaid line chart per
// gating metric of scenario sc: the base branch's stored runs by commit,
// then this run ("this PR").
func writeTrend(b *strings.Builder, in Input, sc string) {
	ts := Trends(in, sc)
	if len(ts) == 0 {
		return
	}
	stored := len(ts[0].Points)
	if ts[0].Points[stored-1].Current {
		stored--
	}
	fmt.Fprintf(b, "<details><summary>Trend: the base branch's last %d stored runs and this run</summary>\n\n", stored)
	for _, t := range ts {
		var xs, ys []string
		for i, l := range trendLabels(t) {
			label := l[0]
			if !isHex(label) {
				label = chartText(label)
			}
			xs = append(xs, `"`+label+l[1]+`"`)
			ys = append(ys, strconv.FormatFloat(trendScale(t)*t.Points[i].Value, 'g', 4, 64))
		}
		b.WriteString("```mermaid\nxychart-beta\n")
		fmt.Fprintf(b, "    title \"%s\"\n", chartText(clip(t.Metric, maxNameChars)))
		fmt.Fprintf(b, "    x-axis [%s]\n", strings.Join(xs, ", "))
		fmt.Fprintf(b, "    y-axis \"%s\"\n", chartText(trendAxis(t)))
		fmt.Fprintf(b, "    line [%s]\n", strings.Join(ys, ", "))
		b.WriteString("```\n\n")
	}
	b.WriteString("<sub>Each chart: a gating metric in the base branch's stored runs (by commit, oldest first) and in this run, the last point.</sub>\n\n</details>\n\n")
}

// Sparkline draws values as block characters, lowest ▁ to highest █ (all
// ▄ when they are equal): the trend in one table cell.
func Sparkline(vs []float64) string {
	if len(vs) == 0 {
		return ""
	}
	lo, hi := vs[0], vs[0]
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	bars := []rune("▁▂▃▄▅▆▇█")
	var s strings.Builder
	for _, v := range vs {
		i := 3
		if hi > lo {
			i = int((v - lo) / (hi - lo) * float64(len(bars)-1))
		}
		s.WriteRune(bars[i])
	}
	return s.String()
}

// trendScale and trendAxis print a ratio as a percentage, other units as
// they are.
func trendScale(t gate.Trend) float64 {
	if t.Unit == metric.Ratio {
		return 100
	}
	return 1
}

func trendAxis(t gate.Trend) string {
	if t.Unit == metric.Ratio {
		return "%"
	}
	return t.Unit
}

// isHex reports whether s is a short commit hash, which a chart shows as
// is (chartText would break it as a commit reference).
func isHex(s string) bool {
	return s != "" && strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// trendLabels names each point of t on a chart's x axis: its short commit
// (else its date), "this run" for the current one; a label seen before
// gets a suffix (" #2"), since a chart merges equal categories. Each is
// the label and its suffix, for the renderer to make the label safe.
func trendLabels(t gate.Trend) [][2]string {
	seen := map[string]int{}
	out := make([][2]string, len(t.Points))
	for i, p := range t.Points {
		l := clip(shortSHA(p.Commit), 12)
		if p.Current {
			l = "this run"
		} else if l == "" {
			l = p.Time.UTC().Format("01-02 15:04")
		}
		seen[l]++
		out[i][0] = l
		if n := seen[l]; n > 1 {
			out[i][1] = " #" + strconv.Itoa(n)
		}
	}
	return out
}
