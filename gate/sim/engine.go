package sim

import (
	"math"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"
)

// seq states.
const (
	seqNew = iota
	seqWaiting
	seqRunning
	seqFinished
	seqCancelled
)

// seq is one generation request inside the engine. Fields above the line
// belong to the engine (guarded by the driver's lock); the atomics are how
// the real-time driver publishes progress to the request's handler.
type seq struct {
	id        uint64
	prompt    int  // prompt tokens
	maxTokens int  // max_tokens: the KV reservation is prompt + maxTokens
	minTokens int  // min_tokens
	eos       bool // may stop at end-of-sequence before maxTokens
	out       int  // tokens it will generate, drawn at arrival
	weight    float64
	state     int
	produced  int
	arrival   time.Duration
	admitted  time.Duration
	first     time.Duration
	end       time.Duration
	times     []time.Duration // token times, when the engine records them
	// ----
	pub    atomic.Int64 // tokens produced, published to the handler
	done   atomic.Bool  // set after the last pub
	notify chan struct{}
}

func (s *seq) finishReason() string {
	if s.out >= s.maxTokens {
		return "length"
	}
	return "stop"
}

// observer receives engine events; the real-time server feeds its Prometheus
// metrics from it. All calls are made with the engine lock held.
type observer interface {
	admitted(s *seq)
	firstToken(s *seq)
	finished(s *seq)
	tokens(n int)
}

// engine is the continuous-batching model of an LLM server. It knows
// nothing about clocks: every method takes the current model time, and
// times passed to it never decrease.
type engine struct {
	cfg            Config
	slots, kv      int
	maxQueue       int
	maxBatchTokens int
	noise          *noise
	rng            *rand.Rand // per-request draws, in arrival order
	obs            observer   // nil in virtual time
	recordTimes    bool       // keep every token time (virtual time)

	waiting []*seq // FIFO; waiting[head:] are waiting
	head    int
	nWait   int
	running []*seq
	kvUsed  int

	// replicas share a step's per-token costs (autoscale.go); 0 is 1.
	replicas int

	stepping  bool
	stepStart time.Duration
	stepEnd   time.Duration
	nextID    uint64
}

func newEngine(c Config) *engine {
	return &engine{
		cfg:            c,
		slots:          c.effSlots(),
		kv:             c.effKV(),
		maxQueue:       c.MaxQueue,
		maxBatchTokens: c.MaxBatchTokens,
		noise:          newNoise(c, streamEnv, streamStalls),
		rng:            newRand(c.Seed, streamRequests),
	}
}

// fits reports whether a request of prompt + maxTokens tokens can ever run.
func (e *engine) fits(prompt, maxTokens int) bool {
	return prompt+maxTokens <= e.kv
}

// arrive offers s to the engine at time now and returns the HTTP status of
// the decision: 200 accepted, 503 still starting, 500 injected error, 429
// waiting queue full. The random draws of a request happen whatever the
// decision, so one knob does not reshuffle the noise of the others.
func (e *engine) arrive(now time.Duration, s *seq) int {
	e.nextID++
	s.id = e.nextID
	s.arrival = now
	s.weight = lognormal(e.rng, e.cfg.Noise.Jitter)
	u := e.rng.Float64()
	natural := 1 + int(e.rng.ExpFloat64()*(e.cfg.MeanOutputTokens-1)+0.5)
	s.out = s.maxTokens
	if s.eos {
		s.out = min(max(natural, s.minTokens, 1), s.maxTokens)
	}
	switch {
	case now < e.cfg.ColdStart:
		return http.StatusServiceUnavailable
	case u < e.cfg.ErrorRate:
		return http.StatusInternalServerError
	case e.nWait >= e.maxQueue:
		return http.StatusTooManyRequests
	}
	s.state = seqWaiting
	e.waiting = append(e.waiting, s)
	e.nWait++
	if !e.stepping {
		e.start(now)
	}
	return http.StatusOK
}

// cancel removes s (its client went away) and frees what it holds.
func (e *engine) cancel(s *seq) {
	switch s.state {
	case seqWaiting:
		for i := e.head; i < len(e.waiting); i++ {
			if e.waiting[i] == s {
				copy(e.waiting[i:], e.waiting[i+1:])
				e.waiting[len(e.waiting)-1] = nil
				e.waiting = e.waiting[:len(e.waiting)-1]
				break
			}
		}
		e.nWait--
		s.state = seqCancelled
	case seqRunning:
		// The step in progress keeps its cost; the slot and the KV cache
		// are freed when it ends.
		s.state = seqCancelled
	}
}

// start begins an engine step at time now if there is work: it admits
// waiting requests in FIFO order while a slot and their KV reservation are
// free, and sets the step's end from the step model.
func (e *engine) start(now time.Duration) {
	budget := e.maxBatchTokens
	nPrefill := 0
	var prefillW, decodeW float64 // prompt tokens and sequences, weighted by jitter
	for _, s := range e.running {
		decodeW += s.weight
	}
	nDecode := len(e.running)
	for e.nWait > 0 && len(e.running) < e.slots {
		s := e.waiting[e.head]
		need := s.prompt + s.maxTokens
		if e.kvUsed+need > e.kv || (nPrefill > 0 && s.prompt > budget) {
			break
		}
		e.waiting[e.head] = nil
		e.head++
		e.nWait--
		budget -= s.prompt
		e.kvUsed += need
		s.state = seqRunning
		s.admitted = now
		e.running = append(e.running, s)
		nPrefill++
		prefillW += float64(s.prompt) * s.weight
		if e.obs != nil {
			e.obs.admitted(s)
		}
	}
	if e.head > 64 && e.head*2 > len(e.waiting) {
		n := copy(e.waiting, e.waiting[e.head:])
		clear(e.waiting[n:])
		e.waiting = e.waiting[:n]
		e.head = 0
	}
	if len(e.running) == 0 {
		e.stepping = false
		return
	}
	c := &e.cfg
	base := float64(c.StepBase)
	par := float64(max(1, e.replicas))
	decode := float64(c.DecodePerSeq) * decodeW / par
	prefill := float64(c.PrefillPerToken) * prefillW / par
	if nDecode > 0 {
		decode += base
	} else {
		prefill += base
	}
	d := (decode*c.DecodeSlowdown + prefill*c.TTFTSlowdown) * c.Slowdown * e.noise.env(now) * e.noise.shift
	// A step takes at least a microsecond, so model time always advances.
	step := e.noise.stretch(now, max(time.Duration(math.Round(d)), time.Microsecond))
	e.stepping = true
	e.stepStart = now
	e.stepEnd = now + step
}

// finish ends the step in progress: every running sequence gets one token
// (the first one for those just prefilled), and finished ones leave.
func (e *engine) finish() {
	t := e.stepEnd
	keep := e.running[:0]
	n := 0
	for _, s := range e.running {
		if s.state == seqCancelled {
			e.kvUsed -= s.prompt + s.maxTokens
			continue
		}
		s.produced++
		n++
		if e.recordTimes {
			s.times = append(s.times, t)
		}
		if s.produced == 1 {
			s.first = t
			if e.obs != nil {
				e.obs.firstToken(s)
			}
		}
		last := s.produced >= s.out
		if last {
			s.end = t
			s.state = seqFinished
			e.kvUsed -= s.prompt + s.maxTokens
			if e.obs != nil {
				e.obs.finished(s)
			}
		} else {
			keep = append(keep, s)
		}
		if s.notify != nil {
			s.pub.Store(int64(s.produced))
			if last {
				s.done.Store(true)
			}
			select {
			case s.notify <- struct{}{}:
			default:
			}
		}
	}
	clear(e.running[len(keep):])
	e.running = keep
	e.stepping = false
	if e.obs != nil {
		e.obs.tokens(n)
	}
}

// advance processes every step that ends at or before now, starting the
// next step as soon as one ends.
func (e *engine) advance(now time.Duration) {
	for e.stepping && e.stepEnd <= now {
		end := e.stepEnd
		e.finish()
		e.start(end)
	}
}

// next returns the time of the engine's next event.
func (e *engine) next() (time.Duration, bool) { return e.stepEnd, e.stepping }

// usage returns the fraction of the KV budget reserved.
func (e *engine) usage() float64 { return float64(e.kvUsed) / float64(e.kv) }
