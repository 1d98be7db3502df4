package sim

import (
	"math"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"
)

// job is one /predict request inside the batcher.
type job struct {
	items   int
	weight  float64
	arrival time.Duration
	start   time.Duration
	end     time.Duration
	state   int // seqWaiting, seqRunning, seqFinished, seqCancelled
	// ----
	done   atomic.Bool
	notify chan struct{}
}

// batch is a batch of jobs being served by one worker.
type batch struct {
	end  time.Duration
	jobs []*job
}

// batcher is the dynamic-batching model of a classification server: up to
// Workers batches run at once; a batch of up to MaxBatch items starts when
// it is full or when its oldest job has waited BatchWait. Like engine it
// takes the model time as an argument.
type batcher struct {
	cfg      Config
	noise    *noise
	rng      *rand.Rand
	queue    []*job
	items    int // items waiting
	inflight []batch
	done     func(j *job) // called when a job ends, lock held; may be nil
}

func newBatcher(c Config) *batcher {
	return &batcher{
		cfg:   c,
		noise: newNoise(c, streamPredictEnv, streamPredictStalls),
		rng:   newRand(c.Seed, streamPredictRequests),
	}
}

// arrive offers j at time now; see engine.arrive for the statuses.
func (b *batcher) arrive(now time.Duration, j *job) int {
	j.arrival = now
	j.weight = lognormal(b.rng, b.cfg.Noise.Jitter)
	u := b.rng.Float64()
	switch {
	case now < b.cfg.ColdStart:
		return http.StatusServiceUnavailable
	case u < b.cfg.ErrorRate:
		return http.StatusInternalServerError
	case len(b.queue) >= b.cfg.MaxQueue:
		return http.StatusTooManyRequests
	}
	j.state = seqWaiting
	b.queue = append(b.queue, j)
	b.items += j.items
	b.dispatch(now)
	return http.StatusOK
}

// cancel drops a job whose client went away.
func (b *batcher) cancel(j *job) {
	if j.state != seqWaiting {
		if j.state == seqRunning {
			j.state = seqCancelled
		}
		return
	}
	for i, q := range b.queue {
		if q == j {
			b.queue = append(b.queue[:i], b.queue[i+1:]...)
			b.items -= j.items
			break
		}
	}
	j.state = seqCancelled
}

// deadline is when the oldest waiting job must be dispatched.
func (b *batcher) deadline() time.Duration { return b.queue[0].arrival + b.cfg.Predict.BatchWait }

// dispatch starts batches at time now while a worker is free and a batch is
// due (full, or its oldest job waited long enough).
func (b *batcher) dispatch(now time.Duration) {
	p := &b.cfg.Predict
	for len(b.inflight) < p.Workers && len(b.queue) > 0 && (b.items >= p.MaxBatch || b.deadline() <= now) {
		n, items := 0, 0
		var work float64
		for n < len(b.queue) && (n == 0 || items+b.queue[n].items <= p.MaxBatch) {
			j := b.queue[n]
			items += j.items
			work += float64(j.items) * j.weight
			j.state = seqRunning
			j.start = now
			n++
		}
		jobs := make([]*job, n)
		copy(jobs, b.queue[:n])
		b.queue = append(b.queue[:0], b.queue[n:]...)
		b.items -= items
		d := (float64(p.Base) + float64(p.PerItem)*work) * b.cfg.Slowdown * b.noise.env(now) * b.noise.shift
		dur := b.noise.stretch(now, max(time.Duration(math.Round(d)), time.Microsecond))
		b.inflight = append(b.inflight, batch{end: now + dur, jobs: jobs})
	}
}

// next returns the time of the batcher's next event.
func (b *batcher) next() (time.Duration, bool) {
	t, ok := time.Duration(math.MaxInt64), false
	for _, x := range b.inflight {
		if x.end < t {
			t, ok = x.end, true
		}
	}
	if len(b.queue) > 0 && len(b.inflight) < b.cfg.Predict.Workers {
		// A full batch was dispatched at once, so this is a deadline.
		if d := b.deadline(); d < t {
			t, ok = d, true
		}
	}
	return t, ok
}

// advance processes every event at or before now, in time order.
func (b *batcher) advance(now time.Duration) {
	for {
		t, ok := b.next()
		if !ok || t > now {
			return
		}
		// Complete every batch ending at t, then dispatch at t.
		keep := b.inflight[:0]
		for _, x := range b.inflight {
			if x.end != t {
				keep = append(keep, x)
				continue
			}
			for _, j := range x.jobs {
				if j.state == seqCancelled {
					continue
				}
				j.state = seqFinished
				j.end = t
				if b.done != nil {
					b.done(j)
				}
				if j.notify != nil {
					j.done.Store(true)
					select {
					case j.notify <- struct{}{}:
					default:
					}
				}
			}
		}
		clear(b.inflight[len(keep):])
		b.inflight = keep
		b.dispatch(t)
	}
}

// PredictRequest is one /predict request for SimulatePredict.
type PredictRequest struct {
	Arrival time.Duration // from the start of the simulation
	Items   int           // instances in the request
}

// PredictTiming is what happened to one PredictRequest; see Timing for
// Status (400 when Items is below 1 or above Predict.MaxItems).
type PredictTiming struct {
	Status  int
	Arrival time.Duration
	Start   time.Duration // its batch started
	End     time.Duration // its batch ended: the response
}

// SimulatePredict runs the /predict model of cfg on reqs in virtual time,
// as Simulate does for generation, and returns one PredictTiming per
// request in the order of reqs.
func SimulatePredict(cfg Config, reqs []PredictRequest) ([]PredictTiming, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	order := make([]int, len(reqs))
	for i, r := range reqs {
		if r.Arrival < 0 {
			return nil, errNegativeArrival(i, r.Arrival)
		}
		order[i] = i
	}
	sortByArrival(order, func(i int) time.Duration { return reqs[i].Arrival })
	b := newBatcher(cfg)
	jobs := make([]job, len(reqs))
	out := make([]PredictTiming, len(reqs))
	for _, i := range order {
		r := reqs[i]
		b.advance(r.Arrival)
		out[i].Arrival = r.Arrival
		if r.Items < 1 || r.Items > cfg.Predict.MaxItems {
			out[i].Status = http.StatusBadRequest
			continue
		}
		jobs[i].items = r.Items
		out[i].Status = b.arrive(r.Arrival, &jobs[i])
	}
	b.advance(math.MaxInt64)
	for i := range out {
		if out[i].Status == http.StatusOK {
			out[i].Start, out[i].End = jobs[i].start, jobs[i].end
		}
	}
	return out, nil
}
