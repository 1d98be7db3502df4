package load

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// A Pacer decides when each request of an open-loop schedule is due. Pace
// returns how long to wait, from elapsed (time since the start of the
// schedule), before sending request number sent (0-based), or stop when the
// schedule sends no more requests. A Pacer is a pure function of its
// arguments: Pace(0, n) is therefore the intended send time of request n,
// which is how the runner reads the schedule. Pacers are safe for concurrent
// use.
type Pacer interface {
	Pace(elapsed time.Duration, sent uint64) (wait time.Duration, stop bool)
}

var (
	_ Pacer = ConstantPacer{}
	_ Pacer = (*PoissonPacer)(nil)
	_ Pacer = StepPacer{}
)

// waitFor turns an absolute due time into a wait from elapsed.
func waitFor(due, elapsed time.Duration) time.Duration {
	if due <= elapsed {
		return 0
	}
	return due - elapsed
}

// ConstantPacer sends Rate requests per second, evenly spaced, for Duration
// (zero: without end). Request n is due at n/Rate seconds.
type ConstantPacer struct {
	Rate     float64       // requests per second; must be > 0
	Duration time.Duration // zero means no end
}

// Pace implements Pacer.
func (p ConstantPacer) Pace(elapsed time.Duration, sent uint64) (time.Duration, bool) {
	if p.Rate <= 0 || math.IsNaN(p.Rate) || math.IsInf(p.Rate, 0) {
		return 0, true
	}
	due := time.Duration(float64(sent) / p.Rate * float64(time.Second))
	if p.Duration > 0 && due >= p.Duration {
		return 0, true
	}
	return waitFor(due, elapsed), false
}

// PoissonPacer sends requests as a Poisson process of mean Rate requests per
// second for Duration (zero: without end): the gaps between requests are
// exponentially distributed. The gaps are a deterministic function of Seed
// and the request number, so the same seed gives the same schedule.
type PoissonPacer struct {
	Rate     float64       // mean requests per second; must be > 0
	Duration time.Duration // zero means no end
	Seed     int64

	// The due time of request n is the sum of the first n gaps; the last
	// computed sum is cached so a sequential walk costs O(1) per request.
	mu    sync.Mutex
	lastN uint64
	lastT float64 // seconds
}

// NewPoissonPacer returns a PoissonPacer of rate requests per second.
func NewPoissonPacer(rate float64, duration time.Duration, seed int64) *PoissonPacer {
	return &PoissonPacer{Rate: rate, Duration: duration, Seed: seed}
}

// gap returns the exponential gap (seconds) before request n+1.
func (p *PoissonPacer) gap(n uint64) float64 {
	u := unitFloat(splitmix64(uint64(p.Seed) ^ splitmix64(n+0x9e3779b97f4a7c15)))
	return -math.Log1p(-u) / p.Rate
}

// Pace implements Pacer.
func (p *PoissonPacer) Pace(elapsed time.Duration, sent uint64) (time.Duration, bool) {
	if p.Rate <= 0 || math.IsNaN(p.Rate) || math.IsInf(p.Rate, 0) {
		return 0, true
	}
	p.mu.Lock()
	if sent < p.lastN {
		p.lastN, p.lastT = 0, 0
	}
	for p.lastN < sent {
		p.lastT += p.gap(p.lastN)
		p.lastN++
	}
	t := p.lastT
	p.mu.Unlock()
	due := time.Duration(t * float64(time.Second))
	if p.Duration > 0 && due >= p.Duration {
		return 0, true
	}
	return waitFor(due, elapsed), false
}

// Step is one stage of a StepPacer: Rate requests per second for Duration.
// When Ramp is true the rate changes linearly over the step, from the rate at
// the end of the previous step (0 for the first step) to Rate.
type Step struct {
	Rate     float64 // requests per second at the end of the step; >= 0
	Duration time.Duration
	Ramp     bool
}

// StepPacer runs its steps in order and stops after the last one. Capacity
// search uses steps of increasing rate, a spike a short step of high rate
// between two of low rate, a ramp steps with Ramp set.
type StepPacer struct {
	Steps []Step
}

// Validate reports a step with a negative or non-finite rate or a
// non-positive duration, naming the step.
func (p StepPacer) Validate() error {
	if len(p.Steps) == 0 {
		return fmt.Errorf("step pacer: no steps")
	}
	for i, s := range p.Steps {
		if s.Rate < 0 || math.IsNaN(s.Rate) || math.IsInf(s.Rate, 0) {
			return fmt.Errorf("step pacer: step %d: rate %v is not a finite rate >= 0", i+1, s.Rate)
		}
		if s.Duration <= 0 {
			return fmt.Errorf("step pacer: step %d: duration %v must be > 0", i+1, s.Duration)
		}
	}
	return nil
}

// Total returns the sum of the step durations.
func (p StepPacer) Total() time.Duration {
	var d time.Duration
	for _, s := range p.Steps {
		d += s.Duration
	}
	return d
}

// Pace implements Pacer.
func (p StepPacer) Pace(elapsed time.Duration, sent uint64) (time.Duration, bool) {
	n := float64(sent) // hits still to place, counted from the current step start
	start := 0.0       // seconds
	prev := 0.0        // rate at the end of the previous step
	for _, s := range p.Steps {
		d := s.Duration.Seconds()
		if d <= 0 || s.Rate < 0 {
			return 0, true
		}
		r0, r1 := s.Rate, s.Rate
		if s.Ramp {
			r0 = prev
		}
		hits := (r0 + r1) / 2 * d
		if n < hits {
			var t float64
			if r0 == r1 {
				t = n / r0
			} else {
				// Solve r0 t + (r1-r0) t²/(2d) = n for t in [0, d].
				a := (r1 - r0) / (2 * d)
				disc := r0*r0 + 4*a*n
				if disc < 0 {
					disc = 0
				}
				t = (-r0 + math.Sqrt(disc)) / (2 * a)
			}
			t = math.Min(math.Max(t, 0), d)
			due := time.Duration((start + t) * float64(time.Second))
			return waitFor(due, elapsed), false
		}
		n -= hits
		start += d
		prev = s.Rate
	}
	return 0, true
}

// splitmix64 is a fast, well-mixed 64-bit hash (Steele et al.), used to
// derive per-request random numbers from a seed and an index.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unitFloat maps a 64-bit value to [0, 1).
func unitFloat(x uint64) float64 {
	return float64(x>>11) / (1 << 53)
}
