package eval

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Tables runs plan once per per-deployment shift sigma in shifts, each on
// base with that shift, and writes each table to w, one after another;
// progress goes to log (perfgate eval).
func Tables(ctx context.Context, base Config, plan Plan, shifts []float64, w, log io.Writer) error {
	for i, s := range shifts {
		cfg := base
		cfg.Sim.Noise.Shift = s
		start := time.Now()
		fmt.Fprintf(log, "perfgate eval: shift %g\n", s)
		t, err := Run(ctx, cfg, plan, func(msg string) {
			if ctx.Err() == nil {
				fmt.Fprintf(log, "perfgate eval: %s\n", msg)
			}
		})
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := t.Format(w); err != nil {
			return err
		}
		fmt.Fprintf(log, "perfgate eval: shift %g took %v\n", s, time.Since(start).Round(time.Second))
	}
	return nil
}
