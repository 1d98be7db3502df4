package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// Streams of the seeded generators, one per random process, so that turning
// one component on or off does not change the draws of the others.
const (
	streamShift = iota + 1
	streamRequests
	streamEnv
	streamStalls
	streamPredictRequests
	streamPredictEnv
	streamPredictStalls
)

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// instanceShift is the per-instance factor of a deployment: lognormal with
// median 1, drawn once from the seed.
func instanceShift(c Config) float64 {
	z := newRand(c.Seed, streamShift).NormFloat64()
	return math.Exp(c.Noise.Shift * z)
}

// envGrid is the time step at which the environment process is sampled.
const envGrid = 100 * time.Millisecond

// noise is the time-dependent part of the service-time noise of one engine:
// the environment factor and the stalls. Its methods must be called with
// non-decreasing times.
type noise struct {
	shift float64

	envSigma float64
	envA     float64 // autocorrelation over one grid step
	envX     float64 // log of the environment factor at grid index envK
	envK     int64
	envRNG   *rand.Rand
	envReset int64 // grid steps after which the process has forgotten its state

	stallRate  float64
	stallMean  time.Duration
	stallRNG   *rand.Rand
	nextStall  time.Duration
	stallLen   time.Duration
	stallsSeen int
}

func newNoise(c Config, envStream, stallStream uint64) *noise {
	n := &noise{shift: instanceShift(c), envSigma: c.Noise.Env, stallRate: c.StallRate, stallMean: c.StallDuration}
	if n.envSigma > 0 {
		n.envRNG = newRand(c.Seed, envStream)
		n.envA = math.Exp(-float64(envGrid) / float64(c.Noise.EnvCorrelation))
		n.envX = n.envSigma * n.envRNG.NormFloat64()
		n.envReset = 20 * int64(c.Noise.EnvCorrelation/envGrid)
	}
	if n.stallRate > 0 {
		n.stallRNG = newRand(c.Seed, stallStream)
		n.drawStall(0)
	}
	return n
}

// env returns the environment factor at time t: exp of an Ornstein-Uhlenbeck
// process with stationary sigma envSigma, sampled every envGrid.
func (n *noise) env(t time.Duration) float64 {
	if n.envSigma == 0 {
		return 1
	}
	k := int64(t / envGrid)
	if k-n.envK > n.envReset {
		// After a long idle time the state is independent of the past:
		// draw it from the stationary distribution instead of iterating.
		n.envK = k
		n.envX = n.envSigma * n.envRNG.NormFloat64()
	}
	innov := n.envSigma * math.Sqrt(1-n.envA*n.envA)
	for n.envK < k {
		n.envX = n.envA*n.envX + innov*n.envRNG.NormFloat64()
		n.envK++
	}
	return math.Exp(n.envX)
}

func (n *noise) drawStall(after time.Duration) {
	gap := time.Duration(n.stallRNG.ExpFloat64() / n.stallRate * float64(time.Second))
	n.nextStall = after + gap
	n.stallLen = time.Duration(n.stallRNG.ExpFloat64() * float64(n.stallMean))
}

// stretch returns the duration of work of length d started at start once
// the stalls that overlap it are added: a stall freezes the engine, so work
// running or starting during it is delayed by the rest of the stall.
func (n *noise) stretch(start, d time.Duration) time.Duration {
	if n.stallRate == 0 {
		return d
	}
	for n.nextStall < start+d {
		end := n.nextStall + n.stallLen
		if end > start {
			d += end - max(start, n.nextStall)
			n.stallsSeen++
		}
		n.drawStall(end)
	}
	return d
}

// lognormal returns exp(sigma*z), a factor with median 1.
func lognormal(rng *rand.Rand, sigma float64) float64 {
	z := rng.NormFloat64()
	if sigma == 0 {
		return 1
	}
	return math.Exp(sigma * z)
}
