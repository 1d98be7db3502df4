package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perfgate/perfgate/gate/sim"
)

func init() {
	register(&command{name: "sim", summary: "serve the simulated inference server", run: runSim})
}

// simFlags binds the knobs of sim.Config to fs, with the defaults of
// sim.DefaultConfig.
func simFlags(fs *flag.FlagSet, c *sim.Config) (noNoise *bool) {
	fs.StringVar(&c.Model, "model", c.Model, "model name served and required in requests")
	fs.IntVar(&c.Slots, "slots", c.Slots, "most sequences running at once")
	fs.IntVar(&c.KVTokens, "kv-tokens", c.KVTokens, "KV-cache budget in tokens (a request reserves prompt + max_tokens)")
	fs.IntVar(&c.MaxBatchTokens, "max-batch-tokens", c.MaxBatchTokens, "most prompt tokens prefilled in one step")
	fs.IntVar(&c.MaxQueue, "max-queue", c.MaxQueue, "waiting queue length; more requests get 429")
	fs.IntVar(&c.MaxModelLen, "max-model-len", c.MaxModelLen, "context length in tokens")
	fs.IntVar(&c.DefaultMaxTokens, "default-max-tokens", c.DefaultMaxTokens, "max_tokens of a request that does not set it")
	fs.Float64Var(&c.MeanOutputTokens, "mean-output-tokens", c.MeanOutputTokens, "mean answer length in tokens without ignore_eos")
	fs.DurationVar(&c.StepBase, "step-base", c.StepBase, "fixed cost of an engine step")
	fs.DurationVar(&c.PrefillPerToken, "prefill-per-token", c.PrefillPerToken, "prefill cost per prompt token")
	fs.DurationVar(&c.DecodePerSeq, "decode-per-seq", c.DecodePerSeq, "decode cost per running sequence and step")
	fs.Float64Var(&c.Slowdown, "slowdown", c.Slowdown, "multiplies all service time")
	fs.Float64Var(&c.TTFTSlowdown, "ttft-slowdown", c.TTFTSlowdown, "multiplies prefill time (time to first token)")
	fs.Float64Var(&c.DecodeSlowdown, "decode-slowdown", c.DecodeSlowdown, "multiplies decode time (time per output token)")
	fs.Float64Var(&c.Capacity, "capacity", c.Capacity, "scales slots and KV-cache budget")
	fs.Float64Var(&c.ErrorRate, "error-rate", c.ErrorRate, "fraction of requests failing with 500, in [0,1]")
	fs.Float64Var(&c.StallRate, "stall-rate", c.StallRate, "engine stalls per second (0 = none)")
	fs.DurationVar(&c.StallDuration, "stall-duration", c.StallDuration, "mean duration of a stall")
	fs.Float64Var(&c.LeakMBPerMinute, "leak", c.LeakMBPerMinute, "resident memory growth in MiB per minute")
	fs.DurationVar(&c.ColdStart, "cold-start", c.ColdStart, "answer 503 for this long after start")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "seed of every random choice; another seed is another deployment")
	fs.Float64Var(&c.Noise.Jitter, "jitter", c.Noise.Jitter, "sigma of the per-request lognormal cost factor (0 = off)")
	fs.Float64Var(&c.Noise.Env, "env-noise", c.Noise.Env, "sigma of this server's own slowly varying environment factor, log scale (0 = off)")
	fs.Float64Var(&c.Noise.SharedEnv, "shared-env-noise", c.Noise.SharedEnv, "sigma of the environment factor shared by servers with the same --env-seed (0 = off)")
	fs.Int64Var(&c.EnvSeed, "env-seed", c.EnvSeed, "seed of the shared environment: servers with the same one run \"in the same cluster\"")
	fs.DurationVar(&c.Noise.EnvCorrelation, "env-correlation", c.Noise.EnvCorrelation, "correlation time of the environment factor")
	fs.Float64Var(&c.Noise.Shift, "shift", c.Noise.Shift, "sigma of the per-instance factor drawn from the seed (0 = off)")
	fs.IntVar(&c.Predict.Workers, "predict-workers", c.Predict.Workers, "/predict: batches served at once")
	fs.IntVar(&c.Predict.MaxBatch, "predict-max-batch", c.Predict.MaxBatch, "/predict: most items in a batch")
	fs.DurationVar(&c.Predict.BatchWait, "predict-batch-wait", c.Predict.BatchWait, "/predict: longest wait for a batch to fill (0 = no dynamic batching)")
	fs.DurationVar(&c.Predict.Base, "predict-base", c.Predict.Base, "/predict: fixed cost of a batch")
	fs.DurationVar(&c.Predict.PerItem, "predict-per-item", c.Predict.PerItem, "/predict: cost per item")
	return fs.Bool("no-noise", false, "turn off jitter, environment noise, shift and stalls")
}

// parseShape parses PROMPT:OUTPUT token counts.
func parseShape(s string) (prompt, output int, err error) {
	a, b, _ := strings.Cut(s, ":")
	prompt, err = strconv.Atoi(a)
	output, err2 := strconv.Atoi(b)
	if err != nil || err2 != nil || prompt < 1 || output < 1 {
		return 0, 0, fmt.Errorf("--saturation %q: want PROMPT:OUTPUT, two positive token counts such as 512:128", s)
	}
	return prompt, output, nil
}

func runSim(ctx context.Context, e *env, args []string) int {
	c := commands["sim"]
	fs := newFlagSet(c, e)
	cfg := sim.DefaultConfig()
	noNoise := simFlags(fs, &cfg)
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
		prompt, output, err := parseShape(*saturation)
		if err != nil {
			return usageError(c, e, "%v", err)
		}
		rps := sim.SaturationRPS(cfg, prompt, output)
		if rps == 0 {
			return usageError(c, e, "a request of %d prompt tokens and %d output tokens cannot run: it exceeds the max model length or the KV-cache budget", prompt, output)
		}
		fmt.Fprintf(e.stdout, "%.3f\n", rps)
		return exitPass
	}
	url, failed, stop, err := serveSim(cfg, *addr, 10*time.Second)
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

// serveSim serves a simulated inference server on addr (port 0: a free
// one) and returns its URL. failed receives the error of a server that
// stopped on its own; stop lets requests in progress finish within drain,
// then closes the server (more calls do nothing).
func serveSim(cfg sim.Config, addr string, drain time.Duration) (url string, failed <-chan error, stop func(), err error) {
	s, err := sim.NewServer(cfg)
	if err != nil {
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close()
		return "", nil, nil, fmt.Errorf("cannot listen on --addr %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), served, sync.OnceFunc(func() {
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
		s.Close()
	}), nil
}
