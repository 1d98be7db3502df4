package eval

import (
	"flag"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Flags are the command-line flags of perfgate eval.
type Flags struct {
	trials, workers, aaTrials          *int
	mode, shiftList, naaList, histList *string
	sizeList                           *string
	seed                               *uint64
	quick                              *bool
	shiftDF, scale                     *float64
	extend                             *time.Duration
}

// BindFlags binds perfgate eval's flags to fs.
func BindFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	f.trials = fs.Int("trials", 100, "trials per injected row; A/A rows get twice as many")
	f.mode = fs.String("mode", "both", "paired, history or both")
	f.seed = fs.Uint64("seed", 1, "seed of every random choice")
	f.shiftList = fs.String("shift", "", "comma-separated per-deployment shift sigmas of the simulator, one table each (default: the simulator's default, 0.01 and 0.003)")
	f.quick = fs.Bool("quick", false, "a small, fast version: 10 trials per row, 20 for A/A, a pool of 20")
	f.workers = fs.Int("workers", runtime.GOMAXPROCS(0), "trials run at once")
	f.naaList = fs.String("naa", "10", "comma-separated numbers of stored A/A records a paired trial is judged with (0: uncalibrated, the prior); each judges the same simulated arms")
	f.histList = fs.String("history", "10", "comma-separated numbers of stored runs a history trial is judged against")
	f.shiftDF = fs.Float64("shift-df", 0, "draw the per-deployment shift from a Student-t of this many degrees of freedom (> 2) with the same sigma: heavier tails than the simulator's lognormal (0: lognormal)")
	f.aaTrials = fs.Int("aa-trials", 0, "A/A trials (default: twice --trials)")
	f.sizeList = fs.String("sizes", "0.03,0.05,0.1,0.2", "comma-separated injected worsenings, the negligible change first")
	f.extend = fs.Duration("extend", 0, "the second look: when a gating check is undecided, judge the trial again after each further measured duration, up to this much longer, with the α spent across the looks (regression.extend)")
	f.scale = fs.Float64("scale", 1, "make the simulated server this many times faster (all service time divided by it) and the request rate as many times higher, to see how the verdict gains from more requests per run")
	return f
}

// Resolve checks the flags and returns the configuration, the plan and the
// per-deployment shifts, one table each, they ask for.
func (f *Flags) Resolve() (base Config, plan Plan, shifts []float64, err error) {
	modes, ok := map[string][]string{"paired": {ModePaired}, "history": {ModeHistory}, "both": {ModePaired, ModeHistory}}[*f.mode]
	if !ok {
		return base, plan, nil, fmt.Errorf("--mode must be paired, history or both, got %q", *f.mode)
	}
	if *f.trials < 1 || *f.workers < 1 {
		return base, plan, nil, fmt.Errorf("--trials and --workers must be at least 1")
	}
	if !(*f.scale >= 0.25 && *f.scale <= 64) {
		return base, plan, nil, fmt.Errorf("--scale must be between 0.25 and 64, got %g", *f.scale)
	}
	base = DefaultConfig()
	base.Seed = *f.seed
	base.Sim.Slowdown /= *f.scale
	base.Sim.Noise.ShiftDF = *f.shiftDF
	if *f.shiftDF != 0 && !(*f.shiftDF > 2 && *f.shiftDF <= 1000) {
		return base, plan, nil, fmt.Errorf("--shift-df must be 0 or in (2, 1000], got %g", *f.shiftDF)
	}
	if base.Extend = *f.extend; base.Extend < 0 || base.Extend > 10*base.Workload.Duration {
		return base, plan, nil, fmt.Errorf("--extend must be between 0 and 10 measured durations (%s), got %s", 10*base.Workload.Duration, base.Extend)
	}
	if base.NAA, err = intsFlag(*f.naaList, 0); err != nil {
		return base, plan, nil, fmt.Errorf("--naa: %v", err)
	}
	if base.History, err = intsFlag(*f.histList, 1); err != nil {
		return base, plan, nil, fmt.Errorf("--history: %v", err)
	}
	plan = Plan{Modes: modes, AATrials: 2 * *f.trials, Trials: *f.trials, Workers: *f.workers}
	if *f.aaTrials > 0 {
		plan.AATrials = *f.aaTrials
	}
	if plan.Sizes, err = floatsFlag(*f.sizeList, 1e-9); err != nil {
		return base, plan, nil, fmt.Errorf("--sizes: %v", err)
	}
	if *f.quick {
		plan.AATrials, plan.Trials = 20, 10
		base.Pool = 20
	}
	shifts = []float64{base.Sim.Noise.Shift, 0.01, 0.003}
	if *f.shiftList != "" {
		if shifts, err = floatsFlag(*f.shiftList, 0); err != nil {
			return base, plan, nil, fmt.Errorf("--shift: %v", err)
		}
	}
	return base, plan, shifts, nil
}

// intsFlag parses a comma-separated list of integers of at least least.
func intsFlag(list string, least int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < least {
			return nil, fmt.Errorf("%q is not an integer >= %d", f, least)
		}
		out = append(out, v)
	}
	return out, nil
}

// floatsFlag parses a comma-separated list of numbers of at least least.
func floatsFlag(list string, least float64) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v >= least) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q is not a number >= %g", f, least)
		}
		out = append(out, v)
	}
	return out, nil
}
