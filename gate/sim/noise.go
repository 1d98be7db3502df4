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
// median 1, drawn once from the seed; with Noise.ShiftDF, exp of a
// Student-t variable of unit variance times Noise.Shift. The normal draw
// comes first from the stream, so the two models share it.
func instanceShift(c Config) float64 {
	rng := newRand(c.Seed, streamShift)
	z := rng.NormFloat64()
	if df := c.Noise.ShiftDF; df > 2 {
		// t = z / sqrt(χ²_df / df), with χ²_df = 2·Gamma(df/2, 1); scaled
		// by sqrt((df-2)/df) to unit variance.
		chi2 := 2 * gammaDraw(rng, df/2)
		z *= math.Sqrt((df - 2) / chi2)
	}
	return math.Exp(c.Noise.Shift * z)
}

// gammaDraw draws Gamma(shape, 1) for shape >= 1 (Marsaglia and Tsang, "A
// simple method for generating gamma variables", ACM TOMS 26(3), 2000).
func gammaDraw(rng *rand.Rand, shape float64) float64 {
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

// envGrid is the time step at which the environment process is sampled.
const envGrid = 100 * time.Millisecond

// noise is the time-dependent part of the service-time noise of one engine:
// the environment factor and the stalls. Its methods must be called with
// non-decreasing times.
type noise struct {
	shift float64

	// The environment factor is exp(own + shared): own belongs to this
	// deployment (its node, its neighbours), shared to every deployment
	// with the same EnvSeed (the cluster, its network, the time of day).
	own, shared ouProcess

	stallRate  float64
	stallMean  time.Duration
	stallRNG   *rand.Rand
	nextStall  time.Duration
	stallLen   time.Duration
	stallsSeen int
}

// sharedStreamOffset separates the streams of the shared environment from
// the deployment's own.
const sharedStreamOffset = 100

func newNoise(c Config, envStream, stallStream uint64) *noise {
	n := &noise{shift: instanceShift(c), stallRate: c.StallRate, stallMean: c.StallDuration}
	n.own = newOU(c.Noise.Env, c.Noise.EnvCorrelation, newRand(c.Seed, envStream))
	n.shared = newOU(c.Noise.SharedEnv, c.Noise.EnvCorrelation, newRand(c.EnvSeed, envStream+sharedStreamOffset))
	if n.stallRate > 0 {
		n.stallRNG = newRand(c.Seed, stallStream)
		n.drawStall(0)
	}
	return n
}

// env returns the environment factor at time t.
func (n *noise) env(t time.Duration) float64 {
	return math.Exp(n.own.at(t) + n.shared.at(t))
}

// ouProcess is an Ornstein-Uhlenbeck process on the log scale with
// stationary sigma, sampled every envGrid; zero sigma is the constant 0.
type ouProcess struct {
	sigma float64
	a     float64 // autocorrelation over one grid step
	x     float64 // value at grid index k
	k     int64
	rng   *rand.Rand
	reset int64 // grid steps after which the process has forgotten its state
}

func newOU(sigma float64, corr time.Duration, rng *rand.Rand) ouProcess {
	if sigma <= 0 || corr <= 0 {
		return ouProcess{}
	}
	return ouProcess{
		sigma: sigma,
		a:     math.Exp(-float64(envGrid) / float64(corr)),
		x:     sigma * rng.NormFloat64(),
		rng:   rng,
		reset: 20 * int64(corr/envGrid),
	}
}

// at returns the process at time t.
func (p *ouProcess) at(t time.Duration) float64 {
	if p.sigma == 0 {
		return 0
	}
	k := int64(t / envGrid)
	if k-p.k > p.reset {
		// After a long idle time the state is independent of the past:
		// draw it from the stationary distribution instead of iterating.
		p.k = k
		p.x = p.sigma * p.rng.NormFloat64()
	}
	innov := p.sigma * math.Sqrt(1-p.a*p.a)
	for p.k < k {
		p.x = p.a*p.x + innov*p.rng.NormFloat64()
		p.k++
	}
	return p.x
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
