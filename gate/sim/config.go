package sim

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config describes a simulated server. Start from DefaultConfig and change
// fields; the zero Config is not valid. Durations are model (service) time.
type Config struct {
	// Model is the model name served by /v1/models and required in requests.
	Model string

	// Slots is the most sequences the engine runs at once (vLLM's max_num_seqs).
	Slots int
	// KVTokens is the KV-cache budget in tokens. A request reserves
	// prompt + max_tokens of it when admitted and waits while that does not fit.
	KVTokens int
	// MaxBatchTokens caps the prompt tokens prefilled in one engine step
	// (vLLM's max_num_batched_tokens); a longer prompt is prefilled alone.
	MaxBatchTokens int
	// MaxQueue is the length of the waiting queue; a request arriving when it
	// is full is rejected with 429.
	MaxQueue int
	// MaxModelLen is the context length in tokens: prompt + max_tokens above it
	// is rejected with 400.
	MaxModelLen int
	// DefaultMaxTokens is the max_tokens of a request that does not set it.
	DefaultMaxTokens int
	// MeanOutputTokens is the mean natural length, in tokens, of an answer
	// that may stop at end-of-sequence (no ignore_eos): lengths are
	// geometric with this mean, then clamped to [min_tokens, max_tokens].
	MeanOutputTokens float64

	// StepBase is the fixed cost of an engine step (one forward pass, reading
	// the weights). A step that decodes counts it as decode time, a step that
	// only prefills as prefill time.
	StepBase time.Duration
	// PrefillPerToken is the cost of each prompt token prefilled in a step.
	PrefillPerToken time.Duration
	// DecodePerSeq is the cost of each sequence decoding in a step, so time
	// per output token grows with the batch.
	DecodePerSeq time.Duration

	// Slowdown multiplies all service time (1 = none).
	Slowdown float64
	// TTFTSlowdown multiplies prefill time, which sets time to first token.
	TTFTSlowdown float64
	// DecodeSlowdown multiplies decode time, which sets time per output token.
	DecodeSlowdown float64
	// Capacity scales Slots and KVTokens (1 = none; 0.5 = a GPU half as big).
	Capacity float64
	// ErrorRate is the probability in [0,1] that a request fails with 500.
	ErrorRate float64
	// StallRate is the rate of engine stalls per second of model time; a stall
	// freezes the engine for an exponentially distributed time of mean
	// StallDuration. Zero turns stalls off.
	StallRate     float64
	StallDuration time.Duration
	// LeakMBPerMinute makes the real-time server grow its resident memory by
	// this many MiB per minute (0 = no leak). It has no effect on Simulate.
	LeakMBPerMinute float64
	// ColdStart is how long after start the server answers 503 (and /health
	// is not ready).
	ColdStart time.Duration
	// Seed seeds every random choice. Two seeds are two deployments.
	Seed int64
	// EnvSeed seeds the shared environment (Noise.SharedEnv): servers with
	// the same EnvSeed run "in the same cluster at the same time".
	EnvSeed int64

	// Noise sets the noise components.
	Noise Noise
	// Predict is the service model of the /predict endpoint.
	Predict PredictConfig

	// Operational features (ops.go): a dependency called by every
	// request, DCGM-style GPU metrics, autoscaling.
	Dependency DependencyConfig
	GPU        GPUConfig
	Autoscale  AutoscaleConfig
	// RAG is the service model of /v1/embeddings and /v1/search.
	RAG RAGConfig
}

// Noise holds the noise components. A zero field turns its component off;
// NoNoise turns them all off (stalls are Config.StallRate).
type Noise struct {
	// Jitter is the sigma of the per-request lognormal cost factor (median 1)
	// that multiplies a request's prefill and decode cost. Default 0.08.
	Jitter float64
	// Env is the stationary sigma, on the log scale, of this deployment's
	// own environment factor that multiplies every step (its node's other
	// tenants, clocks, thermal). Default 0.015.
	Env float64
	// SharedEnv is the stationary sigma of the environment factor that every
	// deployment with the same Config.EnvSeed shares at the same time: the
	// cluster, its network, the time of day. Both arms of a paired run
	// measured together see it alike, so pairing cancels it; runs at
	// different times (different EnvSeed) do not. Default 0.03.
	SharedEnv float64
	// EnvCorrelation is the correlation time of both environment factors.
	// Default 5s.
	EnvCorrelation time.Duration
	// Shift is the sigma of the per-instance lognormal factor drawn once from
	// the seed, as if the server ran on another pod or GPU. Default 0.03.
	Shift float64
	// ShiftDF, when above 2, makes the per-instance factor heavier-tailed:
	// exp(Shift·t) with t a Student-t variable of ShiftDF degrees of
	// freedom scaled to unit variance, so the shift keeps its standard
	// deviation but now and then a deployment is several sigmas off (a
	// bad node, a throttled GPU). 0, the default, is the lognormal factor.
	ShiftDF float64
}

// PredictConfig is the service model of /predict: Workers process batches
// of up to MaxBatch items; a batch is started when it is full or when its
// oldest request has waited BatchWait (dynamic batching; 0 = no waiting).
// A batch takes Base + PerItem per item, times the noise and Slowdown.
type PredictConfig struct {
	Workers   int
	MaxBatch  int
	BatchWait time.Duration
	Base      time.Duration
	PerItem   time.Duration
	// MaxItems is the most instances one request may carry.
	MaxItems int
}

// Default values of Config, a Llama-3.1-8B-like model on one GPU (scaled so
// that a laptop can drive it to saturation).
const (
	DefaultModel            = "sim-llama-3.1-8b"
	DefaultSlots            = 64
	DefaultKVTokens         = 65536
	DefaultMaxBatchTokens   = 8192
	DefaultMaxQueue         = 1024
	DefaultMaxModelLen      = 8192
	DefaultDefaultMaxTokens = 256
	DefaultMeanOutputTokens = 128
	DefaultStepBase         = 6 * time.Millisecond
	DefaultPrefillPerToken  = 40 * time.Microsecond
	DefaultDecodePerSeq     = 150 * time.Microsecond
	DefaultStallRate        = 1.0 / 60 // stalls per second: about one a minute
	DefaultStallDuration    = 200 * time.Millisecond
	DefaultJitter           = 0.08
	DefaultEnv              = 0.015
	DefaultSharedEnv        = 0.03
	DefaultEnvCorrelation   = 5 * time.Second
	DefaultShift            = 0.03
)

// DefaultConfig returns the default configuration with default noise and
// seed 1.
func DefaultConfig() Config {
	return Config{
		Model:            DefaultModel,
		Slots:            DefaultSlots,
		KVTokens:         DefaultKVTokens,
		MaxBatchTokens:   DefaultMaxBatchTokens,
		MaxQueue:         DefaultMaxQueue,
		MaxModelLen:      DefaultMaxModelLen,
		DefaultMaxTokens: DefaultDefaultMaxTokens,
		MeanOutputTokens: DefaultMeanOutputTokens,
		StepBase:         DefaultStepBase,
		PrefillPerToken:  DefaultPrefillPerToken,
		DecodePerSeq:     DefaultDecodePerSeq,
		Slowdown:         1,
		TTFTSlowdown:     1,
		DecodeSlowdown:   1,
		Capacity:         1,
		StallRate:        DefaultStallRate,
		StallDuration:    DefaultStallDuration,
		Seed:             1,
		Noise: Noise{
			Jitter:         DefaultJitter,
			Env:            DefaultEnv,
			SharedEnv:      DefaultSharedEnv,
			EnvCorrelation: DefaultEnvCorrelation,
			Shift:          DefaultShift,
		},
		Predict: PredictConfig{
			Workers:   4,
			MaxBatch:  8,
			BatchWait: 2 * time.Millisecond,
			Base:      5 * time.Millisecond,
			PerItem:   time.Millisecond,
			MaxItems:  256,
		},
		Dependency: DependencyConfig{Timeout: DefaultDependencyTimeout},
		GPU:        GPUConfig{MemoryMiB: DefaultGPUMemoryMiB, WeightsMiB: DefaultGPUWeightsMiB},
		Autoscale: AutoscaleConfig{Max: DefaultAutoscaleMax, Delay: DefaultAutoscaleDelay,
			QueueThreshold: DefaultAutoscaleThreshold, Sustain: DefaultAutoscaleSustain},
		RAG: DefaultRAG(),
	}
}

// NoNoise returns c with every noise component and stalls turned off, so
// that service times follow the step model exactly.
func (c Config) NoNoise() Config {
	c.Noise = Noise{}
	c.StallRate = 0
	return c
}

// Validate reports every invalid field of c.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Model == "" {
		bad("model name is empty")
	}
	positive := func(name string, v int) {
		if v < 1 {
			bad("%s must be at least 1, got %d", name, v)
		}
	}
	positive("slots", c.Slots)
	positive("KV tokens", c.KVTokens)
	positive("max batch tokens", c.MaxBatchTokens)
	positive("max queue", c.MaxQueue)
	positive("max model length", c.MaxModelLen)
	positive("default max tokens", c.DefaultMaxTokens)
	if !(c.MeanOutputTokens >= 1) || math.IsInf(c.MeanOutputTokens, 0) {
		bad("mean output tokens must be at least 1, got %g", c.MeanOutputTokens)
	}
	nonNeg := func(name string, d time.Duration) {
		if d < 0 {
			bad("%s must not be negative, got %v", name, d)
		}
	}
	nonNeg("step base", c.StepBase)
	nonNeg("prefill per token", c.PrefillPerToken)
	nonNeg("decode per sequence", c.DecodePerSeq)
	nonNeg("stall duration", c.StallDuration)
	nonNeg("cold start", c.ColdStart)
	if c.StepBase+c.DecodePerSeq <= 0 {
		bad("step base and decode per sequence are both zero: a decode step would take no time")
	}
	factor := func(name string, v float64) {
		if !(v > 0) || math.IsInf(v, 0) {
			bad("%s must be a positive number, got %g", name, v)
		}
	}
	factor("slowdown", c.Slowdown)
	factor("TTFT slowdown", c.TTFTSlowdown)
	factor("decode slowdown", c.DecodeSlowdown)
	factor("capacity", c.Capacity)
	if !(c.ErrorRate >= 0 && c.ErrorRate <= 1) {
		bad("error rate must be in [0,1], got %g", c.ErrorRate)
	}
	finiteNonNeg := func(name string, v float64) {
		if !(v >= 0) || math.IsInf(v, 0) {
			bad("%s must be a non-negative number, got %g", name, v)
		}
	}
	finiteNonNeg("stall rate", c.StallRate)
	finiteNonNeg("leak", c.LeakMBPerMinute)
	finiteNonNeg("jitter", c.Noise.Jitter)
	finiteNonNeg("environment noise", c.Noise.Env)
	finiteNonNeg("shift", c.Noise.Shift)
	if df := c.Noise.ShiftDF; df != 0 && !(df > 2 && df <= 1000) {
		bad("shift degrees of freedom must be 0 (lognormal) or in (2, 1000], got %g", df)
	}
	if c.Noise.Env > 0 && c.Noise.EnvCorrelation <= 0 {
		bad("environment correlation time must be positive when environment noise is on, got %v", c.Noise.EnvCorrelation)
	}
	if c.StallRate > 0 && c.StallDuration == 0 {
		bad("stall duration must be positive when stalls are on")
	}
	p := c.Predict
	positive("predict workers", p.Workers)
	positive("predict max batch", p.MaxBatch)
	positive("predict max items", p.MaxItems)
	nonNeg("predict batch wait", p.BatchWait)
	nonNeg("predict base", p.Base)
	nonNeg("predict per item", p.PerItem)
	if p.Base+p.PerItem <= 0 {
		bad("predict base and predict per item are both zero: a batch would take no time")
	}
	for _, err := range []error{c.Dependency.validate(), c.GPU.validate(), c.Autoscale.validate(), c.RAG.validate()} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sim: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// effSlots is Slots scaled by Capacity, at least 1.
func (c Config) effSlots() int { return max(1, int(math.Round(float64(c.Slots)*c.Capacity))) }

// effKV is KVTokens scaled by Capacity, at least 1.
func (c Config) effKV() int { return max(1, int(math.Round(float64(c.KVTokens)*c.Capacity))) }
