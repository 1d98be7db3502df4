package eval

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/stats"
)

// Plan says which trials an evaluation runs.
type Plan struct {
	// Modes are ModePaired and/or ModeHistory.
	Modes []string
	// AATrials is the number of A/A trials, Trials the number per
	// injected row.
	AATrials, Trials int
	// Sizes are the injected relative worsenings (δ = 0.03 first).
	Sizes []float64
	// Workers is the number of trials run at once.
	Workers int
}

// DefaultSizes are the injected sizes: exactly δ, then 5%, 10% and 20%.
var DefaultSizes = []float64{0.03, 0.05, 0.10, 0.20}

// Row is one line of the table: the verdicts of one gating check (or of the
// whole run, Check == RunLevel) in one mode under one injection.
type Row struct {
	Mode string
	// N is the number of A/A records (paired) or stored runs (history)
	// the trials were judged with.
	N         int
	Injection Injection
	Check     string
	Trials    int
	// Fail, Warn, Pass and Invalid count the trials by verdict.
	Fail, Warn, Pass, Invalid int
	// FailLow and FailHigh are the Wilson 95% interval of the fail rate.
	FailLow, FailHigh float64
	// MeanMDE is the mean minimum detectable effect (relative) over the
	// trials where the check was judged; NaN when it never was.
	MeanMDE float64
	// MeanLooks is the mean number of looks the trials took (1 without
	// Config.Extend).
	MeanLooks float64
	// Inconclusive counts the trials whose verdict (the check's, or the
	// run's) has reason kind inconclusive: nothing seen, a material
	// change not ruled out.
	Inconclusive int
}

// RunLevel is the Check of a row about the run's overall verdict: it fails
// when any gating check fails and warns when none fails and one warns.
const RunLevel = "run (any)"

// Rate returns n/r.Trials.
func (r Row) Rate(n int) float64 {
	if r.Trials == 0 {
		return math.NaN()
	}
	return float64(n) / float64(r.Trials)
}

// Table is the result of an evaluation.
type Table struct {
	Config        Config
	Plan          Plan
	SaturationRPS float64
	SteadyRPS     float64
	Knobs         []KnobCheck
	Components    []Component
	Injections    []Injection
	Rows          []Row
}

// Run evaluates the gate under cfg: it checks the knobs, calibrates one
// injection per gating check and size, runs plan's trials and tabulates
// their verdicts. progress, if not nil, receives a line of text now and
// then. Cancelling ctx stops it between trials with ctx's error.
func Run(ctx context.Context, cfg Config, plan Plan, progress func(string)) (*Table, error) {
	say := func(format string, a ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, a...))
		}
	}
	b, err := NewBench(cfg)
	if err != nil {
		return nil, err
	}
	t := &Table{Config: b.Config(), Plan: plan, SaturationRPS: b.SaturationRPS(), SteadyRPS: b.SteadyRPS()}
	if t.Knobs, err = b.CheckKnobs(); err != nil {
		return nil, err
	}
	injections := []Injection{{}}
	if plan.Trials > 0 {
		for _, c := range Gate {
			for _, s := range plan.Sizes {
				in, err := b.Calibrate(c, s)
				if err != nil {
					return nil, err
				}
				injections = append(injections, in)
			}
		}
	}
	t.Injections = injections
	say("knobs calibrated; running a pool of %d A/A pairs", cfg.Pool)
	last := -1
	if err := b.Prepare(plan.Workers, func(done, total int) {
		if pct := 100 * done / total; pct/10 != last/10 {
			last = pct
			say("pool %d%%", pct)
		}
	}); err != nil {
		return nil, err
	}
	if t.Components, err = b.Components(); err != nil {
		return nil, err
	}
	count := func(k int) int {
		if k == 0 {
			return plan.AATrials
		}
		return plan.Trials
	}
	results := make([][]TrialResult, len(injections))
	for k := range injections {
		results[k] = make([]TrialResult, count(k))
	}
	var mu sync.Mutex
	last = -1
	n := max(plan.AATrials, plan.Trials)
	err = parallel(n, plan.Workers, func(done, total int) {
		if pct := 100 * done / total; pct/5 != last/5 {
			last = pct
			say("trials %d%%", pct)
		}
	}, func(i int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		tr, err := b.newTrial(i, plan.Modes)
		if err != nil {
			return err
		}
		for k, in := range injections {
			if i >= count(k) {
				continue
			}
			r, err := tr.run(in)
			if err != nil {
				return err
			}
			mu.Lock()
			results[k][i] = r
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, mode := range plan.Modes {
		ns := cfg.NAA
		if mode == ModeHistory {
			ns = cfg.History
		}
		for x, n := range ns {
			for k, in := range injections {
				checks := []string{in.Check}
				if in.Check == "" {
					checks = append(append([]string{}, Gate...), RunLevel)
				}
				for _, c := range checks {
					r := tabulate(mode, x, in, c, results[k])
					r.N = n
					t.Rows = append(t.Rows, r)
				}
			}
		}
	}
	return t, nil
}

// tabulate counts the verdicts of check over the trials, judged in mode
// with the x-th entry of its N_AA or history list.
func tabulate(mode string, x int, in Injection, check string, trials []TrialResult) Row {
	r := Row{Mode: mode, Injection: in, Check: check, MeanMDE: math.NaN()}
	var mdeSum float64
	var mdeN int
	for _, tr := range trials {
		vs := tr.Paired
		if mode == ModeHistory {
			vs = tr.History
		}
		if x >= len(vs) || vs[x] == nil {
			continue
		}
		v := vs[x]
		r.Trials++
		looks := 1
		if len(v.Looks) > 0 {
			looks = len(v.Looks[0].At)
		}
		r.MeanLooks += float64(looks)
		out := v.Outcome
		if check == RunLevel && v.ReasonKind == gate.ReasonInconclusive {
			r.Inconclusive++
		}
		if check != RunLevel {
			out = gate.Warn // not measured: inconclusive
			for _, c := range v.Checks {
				if c.Name == check && c.Kind == gate.KindRegression {
					out = c.Verdict
					if c.ReasonKind == gate.ReasonInconclusive {
						r.Inconclusive++
					}
					if c.Gating && c.MDE > 0 && !math.IsInf(c.MDE, 0) {
						mdeSum += c.MDE
						mdeN++
					}
				}
			}
		}
		switch out {
		case gate.Fail:
			r.Fail++
		case gate.Pass:
			r.Pass++
		case gate.Invalid:
			r.Invalid++
		default:
			r.Warn++
		}
	}
	if mdeN > 0 {
		r.MeanMDE = mdeSum / float64(mdeN)
	}
	if r.Trials > 0 {
		r.MeanLooks /= float64(r.Trials)
	}
	r.FailLow, r.FailHigh, _ = stats.Wilson(r.Fail, r.Trials, 0.95)
	return r
}
