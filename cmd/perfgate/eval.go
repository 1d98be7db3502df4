package main

import (
	"context"
	"fmt"
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
	plan := eval.Plan{Modes: modes, AATrials: 2 * *trials, Trials: *trials, Sizes: eval.DefaultSizes, Workers: *workers}
	if *quick {
		plan.AATrials, plan.Trials = 20, 10
		base.Pool = 20
	}
	shifts := []float64{base.Sim.Noise.Shift, 0.01, 0.003}
	if *shiftList != "" {
		shifts = nil
		for _, f := range strings.Split(*shiftList, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || v < 0 {
				return usageError(c, e, "--shift: %q is not a sigma >= 0", f)
			}
			shifts = append(shifts, v)
		}
	}
	if err := eval.Tables(ctx, base, plan, shifts, e.stdout, e.stderr); err != nil {
		fmt.Fprintf(e.stderr, "perfgate eval: %v\n", err)
		return exitNoTrust
	}
	return exitPass
}
