package sim

import "flag"

// BindFlags binds every knob of c to a command-line flag of fs, with c's
// values as the defaults (perfgate sim's flags). The returned flag asks for
// NoNoise.
func (c *Config) BindFlags(fs *flag.FlagSet) (noNoise *bool) {
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
	fs.Float64Var(&c.Noise.ShiftDF, "shift-df", c.Noise.ShiftDF, "degrees of freedom (> 2) of a Student-t per-instance factor of the same sigma, heavier-tailed than the default lognormal (0 = lognormal)")
	fs.IntVar(&c.Predict.Workers, "predict-workers", c.Predict.Workers, "/predict: batches served at once")
	fs.IntVar(&c.Predict.MaxBatch, "predict-max-batch", c.Predict.MaxBatch, "/predict: most items in a batch")
	fs.DurationVar(&c.Predict.BatchWait, "predict-batch-wait", c.Predict.BatchWait, "/predict: longest wait for a batch to fill (0 = no dynamic batching)")
	fs.DurationVar(&c.Predict.Base, "predict-base", c.Predict.Base, "/predict: fixed cost of a batch")
	fs.DurationVar(&c.Predict.PerItem, "predict-per-item", c.Predict.PerItem, "/predict: cost per item")
	c.bindOpsFlags(fs)
	c.RAG.bindFlags(fs)
	return fs.Bool("no-noise", false, "turn off jitter, environment noise, shift and stalls")
}

// bindOpsFlags binds the knobs of the operational features (ops.go).
func (c *Config) bindOpsFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Dependency.URL, "dependency-url", c.Dependency.URL, "call this URL (GET, 2xx expected) before serving each generation or /predict request")
	fs.DurationVar(&c.Dependency.Timeout, "dependency-timeout", c.Dependency.Timeout, "how long a dependency call may take")
	fs.StringVar(&c.Dependency.Fallback, "dependency-fallback", c.Dependency.Fallback, "answer this text when the dependency fails (empty: answer 503)")
	fs.DurationVar(&c.Dependency.Breaker, "dependency-breaker", c.Dependency.Breaker, "after a failed dependency call, fail requests at once for this long (a circuit breaker; 0 = none)")
	fs.BoolVar(&c.GPU.Enabled, "dcgm", c.GPU.Enabled, "expose DCGM-style GPU metrics (DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_FB_USED, DCGM_FI_DEV_FB_FREE) on /metrics")
	fs.Float64Var(&c.GPU.MemoryMiB, "gpu-memory-mib", c.GPU.MemoryMiB, "framebuffer size in MiB (--dcgm)")
	fs.Float64Var(&c.GPU.WeightsMiB, "gpu-weights-mib", c.GPU.WeightsMiB, "framebuffer MiB held by the weights; the rest is KV cache (--dcgm)")
	fs.BoolVar(&c.Autoscale.Enabled, "autoscale", c.Autoscale.Enabled, "add replicas (slots, KV cache, a GPU) when the waiting queue stays long; exposes perfgate_sim_replicas")
	fs.IntVar(&c.Autoscale.Max, "autoscale-max", c.Autoscale.Max, "most replicas (--autoscale)")
	fs.DurationVar(&c.Autoscale.Delay, "autoscale-delay", c.Autoscale.Delay, "time from ordering a replica to its serving (--autoscale)")
	fs.IntVar(&c.Autoscale.QueueThreshold, "autoscale-queue", c.Autoscale.QueueThreshold, "waiting requests above which a replica is ordered (--autoscale)")
	fs.DurationVar(&c.Autoscale.Sustain, "autoscale-sustain", c.Autoscale.Sustain, "how long the queue must stay above the threshold (--autoscale)")
}
