package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
)

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
	steps, more := firstN(c.Steps, maxChartPoints)
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
