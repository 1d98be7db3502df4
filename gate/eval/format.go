package eval

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/perfgate/perfgate/gate"
)

// Target returns the paired-mode target of a row at 60 s per run and
// whether the row met it; ok is false when the row has no target. Targets:
// on A/A a run-level false fail rate of at most 1% and warn rate of at most
// 5%; at +10% a fail rate of at least 95% for the p50s, TPOT and throughput
// and at least 90% for the p95s.
func (r Row) Target() (text string, met, ok bool) {
	if r.Mode != ModePaired || r.Trials == 0 {
		return "", false, false
	}
	switch {
	case r.Injection.Check == "" && r.Check == RunLevel:
		return "fail<=1%, warn<=5%", r.Rate(r.Fail) <= 0.01 && r.Rate(r.Warn) <= 0.05, true
	case r.Injection.Size == 0.10:
		min := 0.95
		if strings.HasSuffix(r.Check, ".p95") {
			min = 0.90
		}
		return fmt.Sprintf("fail>=%.0f%%", 100*min), r.Rate(r.Fail) >= min, true
	}
	return "", false, false
}

// Format writes t as aligned text: a header with the setting, the knob
// check and one row per mode, injection and check.
func (t *Table) Format(w io.Writer) error {
	c := t.Config
	n := c.Sim.Noise
	wl := c.Workload
	var b strings.Builder
	shift := fmt.Sprintf("%.3g", n.Shift)
	if n.ShiftDF > 0 {
		shift += fmt.Sprintf(" (Student-t, %g df)", n.ShiftDF)
	}
	fmt.Fprintf(&b, "noise: jitter %.3g, environment %.3g own + %.3g shared by both arms of a pair (correlation %v), per-deployment shift %s, stalls %.3g/s of mean %v\n",
		n.Jitter, n.Env, n.SharedEnv, n.EnvCorrelation, shift, c.Sim.StallRate, c.Sim.StallDuration)
	if c.Sim.Slowdown != 1 {
		fmt.Fprintf(&b, "server: service times × %.3g (eval --scale %.3g)\n", c.Sim.Slowdown, 1/c.Sim.Slowdown)
	}
	fmt.Fprintf(&b, "load: steady %.1f req/s (%.0f%% of the nominal saturation %.1f req/s), prompts %.0f±%.0f tokens, %d output tokens (ignore_eos);\n",
		t.SteadyRPS, 100*wl.Load, t.SaturationRPS, wl.PromptMean, wl.PromptSD, wl.OutputTokens)
	fmt.Fprintf(&b, "      throughput from a saturation scenario offered %.0f%% of saturation with a queue of %d (successful req/s per window)\n",
		100*wl.OverloadFactor, wl.OverloadQueue)
	looks := "one look"
	if c.Extend > 0 {
		looks = fmt.Sprintf("looks every %v up to %v more while a check is undecided, α spent across them (Lan–DeMets, Pocock type)", wl.Duration, c.Extend)
	}
	fmt.Fprintf(&b, "run: %v warm-up + %v measured in %d windows of %v per scenario, %s; paired N_AA=%s, history N=%s, both drawn per trial from a pool of %d A/A pairs, every N judging the same simulated arms; seed %d\n",
		wl.Warmup, wl.Duration, int(wl.Duration/wl.Window), wl.Window, looks, intList(c.NAA), intList(c.History), c.Pool, c.Seed)
	fmt.Fprintf(&b, "rules: δ=%g%%, Δ=%g%%, family α=%g (Holm over %s)\n\n",
		100*orDefault(c.Rules.Negligible, gate.DefaultNegligible), 100*orDefault(c.Rules.Material, gate.DefaultMaterial), orDefault(c.Rules.Alpha, gate.DefaultAlpha), strings.Join(Gate, ", "))
	b.WriteString("knob check (no noise, one deployment, this load): the knob at a nominal +10% and the change it realises\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, k := range t.Knobs {
		fmt.Fprintf(tw, "  %s\t%s=%.4g\t%+.1f%%\n", k.Check, k.Knob, k.Value, 100*k.Realised)
	}
	tw.Flush()
	if len(t.Components) > 0 {
		fmt.Fprintf(&b, "\npaired A/A noise per check over the pool (log scale, per-window statistics; p90 and above: 20%% trimmed means): sd of d̄ = sqrt(within² + τ²)\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  check\tpairs\tsd(d̄)\twithin s_d/√W\tτ̂ between deployments\tlag-1")
		for _, c := range t.Components {
			fmt.Fprintf(tw, "  %s\t%d\t%.4f\t%.4f\t%.4f\t%.2f\n", c.Check, c.Pairs, c.SDMean, c.WithinSE, c.Tau, c.Lag1)
		}
		tw.Flush()
	}
	b.WriteString("\ninjections are calibrated so that the realised change (no noise) equals the size; throughput moves in whole slots\n\n")
	rows := [][]string{{"mode", "N", "injection", "knob", "realised", "check", "trials", "fail%", "fail 95% CI", "warn%", "pass%", "mean MDE", "target"}}
	if c.Extend > 0 {
		rows[0] = append(rows[0][:12:12], "looks", "target")
	}
	prev := ""
	for _, r := range t.Rows {
		key := fmt.Sprint(r.Mode, r.N, r.Injection.Name())
		if prev != "" && key != prev && (r.Injection.Check == "" || r.Injection.Size == t.firstSize()) {
			rows = append(rows, nil)
		}
		prev = key
		realised := "-"
		if r.Injection.Check != "" {
			realised = fmt.Sprintf("%+.1f%%", 100*r.Injection.Realised)
		}
		mde := "-"
		if !math.IsNaN(r.MeanMDE) {
			mde = fmt.Sprintf("%+.1f%%", 100*r.MeanMDE)
		}
		target := ""
		if text, met, ok := r.Target(); ok {
			target = text + ": " + map[bool]string{true: "met", false: "NOT met"}[met]
		}
		if r.Invalid > 0 {
			target += fmt.Sprintf(" (%d invalid)", r.Invalid)
		}
		row := []string{r.Mode, fmt.Sprint(r.N), r.Injection.Name(), r.Injection.KnobText(), realised, r.Check,
			fmt.Sprint(r.Trials), fmt.Sprintf("%.1f", 100*r.Rate(r.Fail)), fmt.Sprintf("[%.1f, %.1f]", 100*r.FailLow, 100*r.FailHigh),
			fmt.Sprintf("%.1f", 100*r.Rate(r.Warn)), fmt.Sprintf("%.1f", 100*r.Rate(r.Pass)), mde}
		if c.Extend > 0 {
			row = append(row, fmt.Sprintf("%.2f", r.MeanLooks))
		}
		rows = append(rows, append(row, target))
	}
	writeAligned(&b, rows)
	b.WriteString("\n")
	t.summary(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// intList formats ns as "0,2,5".
func intList(ns []int) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = fmt.Sprint(n)
	}
	return strings.Join(out, ",")
}

func (t *Table) firstSize() float64 {
	if len(t.Plan.Sizes) == 0 {
		return 0
	}
	return t.Plan.Sizes[0]
}

func orDefault(v, d float64) float64 {
	if v > 0 {
		return v
	}
	return d
}

// writeAligned writes rows as left-aligned columns two spaces apart; a nil
// row is a blank line. Unlike text/tabwriter it keeps one set of column
// widths across blank lines.
func writeAligned(b *strings.Builder, rows [][]string) {
	var width []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}
