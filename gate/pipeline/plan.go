package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/runner"
	"github.com/perfgate/perfgate/policies"
)

// PowerPlan is what perfgate plan prints: per scenario and gating check, the
// MDE the configured run will have and what would bring it under the
// material change.
type PowerPlan struct {
	Policy               string
	Negligible, Material float64
	// Alpha is the level each check is planned at (the first Holm step).
	Alpha     float64
	Scenarios []ScenarioPower
}

// ScenarioPower is the plan of one scenario.
type ScenarioPower struct {
	Scenario string
	// Mode is gate.ModePaired with a live baseline, gate.ModeHistory with
	// stored runs, else gate.ModeNone.
	Mode          string
	Windows       int
	WindowSeconds float64
	Rate          float64
	Capacity      bool
	// Calibration is what τ̂ would be learned from (paired mode).
	Calibration gate.CalibrationSummary
	History     int
	Checks      []gate.CheckPower
}

// Plan predicts the power of every gating check of policy p, from the
// store's calibration and history records of o.BaseBranch (o.Store nil:
// none, so the prior) and o.BaselineURL or the policy's live baseline (set:
// paired). Of o it reads Store, BaselineURL, BaseBranch and Branch.
func Plan(ctx context.Context, p *policies.Policy, o Options) (*PowerPlan, error) {
	if p == nil {
		return nil, &InvalidError{What: "no policy"}
	}
	rules := runner.Rules(p)
	paired := cmp.Or(o.BaselineURL, p.Target.BaselineURL) != ""
	hist, aa := map[string][]*baseline.Record{}, map[string][]*baseline.Record{}
	if o.Store != nil {
		var warnings []string
		hist, _, aa, warnings = loadBaselines(ctx, o.Store, p, cmp.Or(o.BaseBranch, o.Branch, "main"), false)
		for _, w := range warnings {
			o.logf("%s", w)
		}
	}
	cal := gate.LearnCalibration(aa, rules)
	pl := &PowerPlan{Policy: p.Name, Negligible: float64(p.Regression.Negligible), Material: float64(p.Regression.Material)}
	m := 0
	for _, sc := range p.Scenarios {
		for _, name := range rules.Gate {
			if mt, _ := metric.SplitName(name); mt != metric.ErrorRate && (sc.Kind == "capacity") == (mt == metric.Capacity) {
				m++
			}
		}
	}
	pl.Alpha = (1 - float64(p.Regression.Confidence)) / float64(max(m, 1))
	now := time.Now()
	for _, sc := range p.Scenarios {
		in := gate.PowerInput{Rules: rules, Scenario: sc.Name, WindowSeconds: sc.Window.Std().Seconds(), Rate: sc.Rate,
			Capacity: sc.Kind == "capacity", Paired: paired, Alpha: pl.Alpha, Calibration: cal[sc.Name], History: hist[sc.Name]}
		in.Windows = 1
		if in.WindowSeconds > 0 && !in.Capacity {
			in.Windows = int(sc.Duration.Std().Seconds() / in.WindowSeconds)
		}
		sp := ScenarioPower{Scenario: sc.Name, Mode: gate.ModeNone, Windows: in.Windows, WindowSeconds: in.WindowSeconds, Rate: sc.Rate,
			Capacity: in.Capacity, History: len(in.History), Checks: gate.PredictPower(in)}
		switch {
		case paired:
			sp.Mode = gate.ModePaired
			sp.Calibration = gate.SummarizeCalibration(sc.Name, in.Calibration, nil, now)
			for _, c := range sp.Checks {
				sp.Calibration.PriorUsed = sp.Calibration.PriorUsed || c.Noise.TauSource == gate.TauPrior
			}
		case len(in.History) > 0:
			sp.Mode = gate.ModeHistory
		}
		pl.Scenarios = append(pl.Scenarios, sp)
	}
	return pl, nil
}

// WritePlan prints pl as text: a line per scenario saying what it will be
// compared with, then per gating check its predicted MDE, what the MDE is
// made of and the ways to bring it under the material change.
func WritePlan(w io.Writer, pl *PowerPlan) {
	fmt.Fprintf(w, "%s: material change %+.0f%%, negligible %+.0f%%; each gating check planned at α = %.2g%% (Holm's first step)\n",
		pl.Policy, 100*pl.Material, 100*pl.Negligible, 100*pl.Alpha)
	for _, sp := range pl.Scenarios {
		fmt.Fprintf(w, "\nscenario %s: %s\n", sp.Scenario, scenarioText(sp))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  check\tMDE\tSE\twithin-run\tbetween\tdf\t")
		for _, c := range sp.Checks {
			if c.Note != "" || c.MDE == 0 {
				fmt.Fprintf(tw, "  %s\t—\t\t\t\t\t%s\n", c.Name, c.Note)
				continue
			}
			mde := fmt.Sprintf("%.1f%%", 100*c.MDE)
			within := fmt.Sprintf("%.1f%% (%s)", 100*c.Noise.WithinSE, c.Within)
			if c.Within == "" {
				mde, within = "≥ "+mde, "unknown: no stored record"
			}
			between := fmt.Sprintf("τ %.1f%% (%s)", 100*c.Noise.Tau, tauText(c.Noise))
			if c.Noise.HistoryRuns > 0 {
				between = fmt.Sprintf("runs spread %.1f%% (%d stored runs)", 100*c.Noise.HistorySD, c.Noise.HistoryRuns)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%.1f%%\t%s\t%s\t%.0f\t\n", c.Name, mde, 100*c.Noise.SE, within, between, c.Noise.DF)
		}
		tw.Flush()
		writeAdvice(w, sp.Checks, pl.Material)
	}
}

// writeAdvice prints what resolves the material change, one line for the
// checks that share the same advice.
func writeAdvice(w io.Writer, checks []gate.CheckPower, material float64) {
	var order []string
	names := map[string][]string{}
	for _, c := range checks {
		var s string
		switch {
		case c.MDE == 0:
			continue
		case len(c.Advice) == 0 && c.MDE <= material:
			s = fmt.Sprintf("resolves %.0f%% as configured", 100*material)
		case len(c.Advice) == 0:
			s = fmt.Sprintf("no practical change of one run resolves %.0f%%: %s", 100*material, gate.NoPracticalLever)
		default:
			var ways []string
			for _, a := range c.Advice {
				ways = append(ways, a.Text)
			}
			s = fmt.Sprintf("to resolve %.0f%%: %s", 100*material, strings.Join(ways, "; or "))
		}
		if c.Within == "" {
			s = "within-run spread unknown; for τ's share alone, " + s
		}
		if _, ok := names[s]; !ok {
			order = append(order, s)
		}
		names[s] = append(names[s], c.Name)
	}
	for _, s := range order {
		fmt.Fprintf(w, "  %s: %s\n", strings.Join(names[s], ", "), s)
	}
}

func scenarioText(sp ScenarioPower) string {
	var shape string
	switch {
	case sp.Capacity:
		shape = "capacity search"
	case sp.Rate > 0:
		shape = fmt.Sprintf("%d windows of %s at %s", sp.Windows, time.Duration(sp.WindowSeconds*float64(time.Second)), metric.Format(sp.Rate, metric.RPS))
	default:
		shape = fmt.Sprintf("%d windows of %s", sp.Windows, time.Duration(sp.WindowSeconds*float64(time.Second)))
	}
	switch sp.Mode {
	case gate.ModePaired:
		c := sp.Calibration
		switch {
		case c.Records == 0:
			return "paired, " + shape + "; τ: the prior, no A/A records in the store"
		case c.PriorUsed:
			return fmt.Sprintf("paired, %s; τ: at least the prior, %d A/A records are too few to rely on alone", shape, c.Records)
		}
		return fmt.Sprintf("paired, %s; τ learned from %d A/A records, newest %s old, oldest %s", shape, c.Records, metric.FormatAge(c.NewestAge), metric.FormatAge(c.OldestAge))
	case gate.ModeHistory:
		return fmt.Sprintf("against %d stored runs, %s", sp.History, shape)
	}
	return "no baseline (no live baseline URL, no stored runs), " + shape
}

func tauText(n gate.Noise) string {
	if n.TauSource == gate.TauPrior {
		return "prior"
	}
	return fmt.Sprintf("learned, %d A/A", n.AARuns)
}
