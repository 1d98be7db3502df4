package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/perfgate/perfgate/gate/sim"
)

func init() {
	register(&command{name: "sim", summary: "serve the simulated inference server", run: runSim})
}

func runSim(ctx context.Context, e *env, args []string) int {
	c := commands["sim"]
	fs := newFlagSet(c, e)
	cfg := sim.DefaultConfig()
	noNoise := cfg.BindFlags(fs)
	addr := fs.String("addr", "127.0.0.1:8000", "address to listen on")
	saturation := fs.String("saturation", "", "print the saturation throughput for PROMPT:OUTPUT tokens and exit")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(c, e, "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *noNoise {
		cfg = cfg.NoNoise()
	}
	if err := cfg.Validate(); err != nil {
		return usageError(c, e, "%v", err)
	}
	if *saturation != "" {
		prompt, output, err := sim.ParseShape(*saturation)
		if err != nil {
			return usageError(c, e, "--saturation %v", err)
		}
		rps := sim.SaturationRPS(cfg, prompt, output)
		if rps == 0 {
			return usageError(c, e, "a request of %d prompt tokens and %d output tokens cannot run: it exceeds the max model length or the KV-cache budget", prompt, output)
		}
		fmt.Fprintf(e.stdout, "%.3f\n", rps)
		return exitPass
	}
	url, failed, stop, err := sim.Listen(cfg, *addr, 10*time.Second)
	if err != nil {
		return usageError(c, e, "%v", err)
	}
	defer stop()
	fmt.Fprintf(e.stdout, "perfgate sim: serving %s on %s (seed %d)\n", cfg.Model, url, cfg.Seed)
	select {
	case err := <-failed:
		fmt.Fprintf(e.stderr, "perfgate sim: %v\n", err)
		return exitNoTrust
	case <-ctx.Done():
	}
	stop()
	fmt.Fprintln(e.stderr, "perfgate sim: stopped")
	return exitPass
}
