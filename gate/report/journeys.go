package report

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// barCells is the width of a journey's bar of step shares; barGlyphs
// tell its steps apart (the legend names them).
const barCells = 30

var barGlyphs = []string{"█", "▓", "▒", "░"}

// stepName is the form of a step or journey name (the policy's #Name):
// anything else in a record is not rendered.
var stepName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// writeJourneys writes, for a scenario of a journey workload, where the
// time went: per journey a bar of its steps' shares of the journey's
// latency (each step's mean e2e, from the end of the step before, over
// their sum) and a table of its steps: requests sent, failures by class,
// e2e p50 and p95, the baseline's p95 in a paired run, and the share.
func writeJourneys(b *strings.Builder, run *baseline.Record) {
	if run == nil {
		return
	}
	for _, j := range run.Journeys {
		if !stepName.MatchString(j.Name) || len(j.Steps) == 0 || len(j.Steps) > 50 {
			continue
		}
		steps := slices.DeleteFunc(slices.Clone(j.Steps), func(s string) bool { return !stepName.MatchString(s) })
		means, total := stepMeans(run, steps)
		fmt.Fprintf(b, "**Journey `%s`**: where the time went %s\n\n", j.Name, shareBar(steps, means, total))
		if ref := run.Reference; ref != nil {
			if rm, rt := stepMeans(ref, steps); rt > 0 {
				fmt.Fprintf(b, "Baseline: %s\n\n", shareBar(steps, rm, rt))
			}
		}
		paired := run.Reference != nil
		b.WriteString("| step | sent | failed | e2e p50 | e2e p95 |")
		if paired {
			b.WriteString(" baseline p95 |")
		}
		b.WriteString(" share |\n| :-- | --: | :-- | --: | --: |")
		if paired {
			b.WriteString(" --: |")
		}
		b.WriteString(" --: |\n")
		row := func(label, key, e2e string, shareText string) {
			c := stepTotals(run, key)
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |", label, metric.Thousands(float64(c.Sent)), failedText(c),
				metric.Format(pooledStat(run, e2e, "p50"), metric.Ms), metric.Format(pooledStat(run, e2e, "p95"), metric.Ms))
			if paired {
				fmt.Fprintf(b, " %s |", metric.Format(pooledStat(run.Reference, e2e, "p95"), metric.Ms))
			}
			fmt.Fprintf(b, " %s |\n", shareText)
		}
		for i, s := range steps {
			sh := metric.NA
			if total > 0 && !math.IsNaN(means[i]) {
				sh = shareText(share(means[i], total))
			}
			row("`"+s+"`", metric.StepScope+s, metric.StepMetric(s, metric.E2E), sh)
		}
		row("journey `"+j.Name+"`", metric.JourneyScope+j.Name, metric.JourneyMetric(j.Name, metric.E2E), "")
		if v := pooledStat(run, metric.JourneyMetric(j.Name, metric.TTFT), "p95"); !math.IsNaN(v) {
			fmt.Fprintf(b, "\nTime to the answer's first token, from the journey's start: p95 %s.\n", metric.Format(v, metric.Ms))
		}
		b.WriteString("\n")
	}
}

// stepMeans returns the mean e2e of each step and their sum.
func stepMeans(run *baseline.Record, steps []string) ([]float64, float64) {
	means := make([]float64, len(steps))
	total := 0.0
	for i, s := range steps {
		means[i] = pooledStat(run, metric.StepMetric(s, metric.E2E), "mean")
		if !math.IsNaN(means[i]) {
			total += means[i]
		}
	}
	return means, total
}

// shareBar draws the steps' shares of total as a bar of barCells glyphs
// and its legend: "`██▓▓▓▒▒▒` █ embed 20% · ▓ search 30% · ▒ generate 50%".
func shareBar(steps []string, means []float64, total float64) string {
	if total <= 0 {
		return "(no step measured)"
	}
	cells := shareCells(means, total)
	var bar, legend strings.Builder
	for i, s := range steps {
		g := barGlyphs[i%len(barGlyphs)]
		bar.WriteString(strings.Repeat(g, cells[i]))
		if i > 0 {
			legend.WriteString(" · ")
		}
		fmt.Fprintf(&legend, "%s %s %s", g, s, shareText(share(means[i], total)))
	}
	return "`" + bar.String() + "` " + legend.String()
}

// shareText prints a share in whole percent ("<1%" below one).
func shareText(v float64) string {
	if v > 0 && v < 0.005 {
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", v*100)
}

func share(v, total float64) float64 {
	if math.IsNaN(v) || total <= 0 {
		return 0
	}
	return v / total
}

// shareCells divides barCells among the steps in proportion to their
// means, by largest remainder, so the bar has its full width.
func shareCells(means []float64, total float64) []int {
	cells := make([]int, len(means))
	rest := make([]float64, len(means))
	used := 0
	for i, m := range means {
		x := share(m, total) * barCells
		cells[i] = int(x)
		rest[i] = x - float64(cells[i])
		used += cells[i]
	}
	for ; used < barCells; used++ {
		k := 0
		for i := range rest {
			if rest[i] > rest[k] {
				k = i
			}
		}
		cells[k]++
		rest[k] = -1
	}
	return cells
}

// pooledStat returns a pooled statistic of a record's metric, NaN when
// it was not measured.
func pooledStat(rec *baseline.Record, name, stat string) float64 {
	if rec == nil {
		return math.NaN()
	}
	m := rec.Metrics[name]
	if m == nil {
		return math.NaN()
	}
	v, ok := m.Pooled.Stats[stat]
	if !ok {
		return math.NaN()
	}
	return v
}

// stepTotals adds up the counts of a step or journey over the windows.
func stepTotals(rec *baseline.Record, key string) baseline.StepCounts {
	var out baseline.StepCounts
	for _, w := range rec.Windows {
		c, ok := w.Steps[key]
		if !ok {
			continue
		}
		out.Sent += c.Sent
		out.Succeeded += c.Succeeded
		out.Failed += c.Failed
		for k, n := range c.Errors {
			if out.Errors == nil {
				out.Errors = map[string]int64{}
			}
			out.Errors[k] += n
		}
	}
	return out
}

// failedText is "0", or the failures with their classes: "3 (timeout 2,
// http-5xx 1)".
func failedText(c baseline.StepCounts) string {
	if c.Failed == 0 {
		return "0"
	}
	classes := make([]string, 0, len(c.Errors))
	for k := range c.Errors {
		classes = append(classes, k)
	}
	slices.SortFunc(classes, func(a, b string) int {
		return cmp.Or(cmp.Compare(c.Errors[b], c.Errors[a]), strings.Compare(a, b))
	})
	var parts []string
	for _, k := range classes {
		parts = append(parts, fmt.Sprintf("%s %s", mdText(clip(k, 30)), metric.Thousands(float64(c.Errors[k]))))
	}
	return metric.Thousands(float64(c.Failed)) + " (" + strings.Join(parts, ", ") + ")"
}

// allStepTotals adds up the counts of every step and journey of a record
// (nil for a workload without journeys).
func allStepTotals(rec *baseline.Record) map[string]baseline.StepCounts {
	var out map[string]baseline.StepCounts
	for _, w := range rec.Windows {
		for k := range w.Steps {
			if _, done := out[k]; done {
				continue
			}
			if out == nil {
				out = map[string]baseline.StepCounts{}
			}
			out[k] = stepTotals(rec, k)
		}
	}
	return out
}
