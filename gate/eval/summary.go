package eval

import (
	"fmt"
	"math"
	"strings"
)

// summary writes one line per mode and N: the A/A run-level false FAIL rate
// with its Wilson 95% interval, WARN rate and the share of runs whose
// verdict is inconclusive (nothing seen, a material change not ruled out), the highest FAIL rate of any
// check at exactly the first injected size (the negligible change), and the
// FAIL rate of each injected check at every larger size.
func (t *Table) summary(b *strings.Builder) {
	type key struct {
		mode string
		n    int
	}
	var order []key
	byKey := map[key][]Row{}
	for _, r := range t.Rows {
		k := key{r.Mode, r.N}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	head := []string{"summary", "N", "A/A trials", "A/A fail% [95% CI]", "A/A warn%", "of which inconclusive%", "max fail% at +" + pct(t.firstSize())}
	var sizes []float64
	for _, s := range t.Plan.Sizes {
		if s != t.firstSize() {
			sizes = append(sizes, s)
			head = append(head, "caught at +"+pct(s)+" ("+strings.Join(shortGate(), "/")+")")
		}
	}
	rows := [][]string{head}
	for _, k := range order {
		line := []string{k.mode, fmt.Sprint(k.n), "-", "-", "-", "-", "-"}
		first := math.NaN()
		caught := map[float64][]string{}
		for _, r := range byKey[k] {
			switch {
			case r.Injection.Check == "" && r.Check == RunLevel:
				line[2] = fmt.Sprint(r.Trials)
				line[3] = fmt.Sprintf("%.1f [%.1f, %.1f]", 100*r.Rate(r.Fail), 100*r.FailLow, 100*r.FailHigh)
				line[4] = fmt.Sprintf("%.1f", 100*r.Rate(r.Warn))
				line[5] = fmt.Sprintf("%.1f", 100*r.Rate(r.Inconclusive))
			case r.Injection.Check != "" && r.Injection.Size == t.firstSize():
				if f := r.Rate(r.Fail); math.IsNaN(first) || f > first {
					first = f
				}
			case r.Injection.Check != "":
				caught[r.Injection.Size] = append(caught[r.Injection.Size], fmt.Sprintf("%.0f", 100*r.Rate(r.Fail)))
			}
		}
		if !math.IsNaN(first) {
			line[6] = fmt.Sprintf("%.1f", 100*first)
		}
		for _, s := range sizes {
			line = append(line, strings.Join(caught[s], "/"))
		}
		rows = append(rows, line)
	}
	writeAligned(b, rows)
}

// shortGate returns the gating checks' names as the summary heads them.
func shortGate() []string {
	out := make([]string, len(Gate))
	for i, g := range Gate {
		out[i] = strings.TrimSuffix(g, "_per_s")
	}
	return out
}

func pct(x float64) string { return fmt.Sprintf("%g%%", math.Round(1000*x)/10) }
