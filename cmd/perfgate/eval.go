package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/gate/eval"
)

func init() {
	register(&command{name: "eval", summary: "measure the verdict's error rates against the simulator", run: runEval})
}

func runEval(ctx context.Context, e *env, args []string) int {
	c := commands["eval"]
	fs := newFlagSet(c, e)
	trials := fs.Int("trials", 100, "trials per injected row; A/A rows get twice as many")
	mode := fs.String("mode", "both", "paired, history or both")
	seed := fs.Uint64("seed", 1, "seed of every random choice")
	shiftList := fs.String("shift", "", "comma-separated per-deployment shift sigmas of the simulator, one table each (default: the simulator's default, 0.01 and 0.003)")
	quick := fs.Bool("quick", false, "a small, fast version: 10 trials per row, 20 for A/A, a pool of 20")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "trials run at once")
	naaList := fs.String("naa", "10", "comma-separated numbers of stored A/A records a paired trial is judged with (0: uncalibrated, the prior); each judges the same simulated arms")
	histList := fs.String("history", "10", "comma-separated numbers of stored runs a history trial is judged against")
	shiftDF := fs.Float64("shift-df", 0, "draw the per-deployment shift from a Student-t of this many degrees of freedom (> 2) with the same sigma: heavier tails than the simulator's lognormal (0: lognormal)")
	aaTrials := fs.Int("aa-trials", 0, "A/A trials (default: twice --trials)")
	sizeList := fs.String("sizes", "0.03,0.05,0.1,0.2", "comma-separated injected worsenings, the negligible change first")
	scale := fs.Float64("scale", 1, "make the simulated server this many times faster (all service time divided by it) and the request rate as many times higher, to see how the verdict gains from more requests per run")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(c, e, "unexpected argument %q", fs.Arg(0))
	}
	modes, ok := map[string][]string{"paired": {eval.ModePaired}, "history": {eval.ModeHistory}, "both": {eval.ModePaired, eval.ModeHistory}}[*mode]
	if !ok {
		return usageError(c, e, "--mode must be paired, history or both, got %q", *mode)
	}
	if *trials < 1 || *workers < 1 {
		return usageError(c, e, "--trials and --workers must be at least 1")
	}
	if !(*scale >= 0.25 && *scale <= 64) {
		return usageError(c, e, "--scale must be between 0.25 and 64, got %g", *scale)
	}
	base := eval.DefaultConfig()
	base.Seed = *seed
	base.Sim.Slowdown /= *scale
	base.Sim.Noise.ShiftDF = *shiftDF
	if *shiftDF != 0 && !(*shiftDF > 2 && *shiftDF <= 1000) {
		return usageError(c, e, "--shift-df must be 0 or in (2, 1000], got %g", *shiftDF)
	}
	var err error
	if base.NAA, err = intsFlag(*naaList, 0); err != nil {
		return usageError(c, e, "--naa: %v", err)
	}
	if base.History, err = intsFlag(*histList, 1); err != nil {
		return usageError(c, e, "--history: %v", err)
	}
	plan := eval.Plan{Modes: modes, AATrials: 2 * *trials, Trials: *trials, Workers: *workers}
	if *aaTrials > 0 {
		plan.AATrials = *aaTrials
	}
	if plan.Sizes, err = floatsFlag(*sizeList, 1e-9); err != nil {
		return usageError(c, e, "--sizes: %v", err)
	}
	if *quick {
		plan.AATrials, plan.Trials = 20, 10
		base.Pool = 20
	}
	shifts := []float64{base.Sim.Noise.Shift, 0.01, 0.003}
	if *shiftList != "" {
		if shifts, err = floatsFlag(*shiftList, 0); err != nil {
			return usageError(c, e, "--shift: %v", err)
		}
	}
	if err := eval.Tables(ctx, base, plan, shifts, e.stdout, e.stderr); err != nil {
		fmt.Fprintf(e.stderr, "perfgate eval: %v\n", err)
		return exitNoTrust
	}
	return exitPass
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
