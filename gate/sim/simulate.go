package sim

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"
)

// Request is one generation request for Simulate. The engine generates
// exactly MaxTokens tokens, as a server does with ignore_eos.
type Request struct {
	Arrival      time.Duration // arrival time, from the start of the simulation
	PromptTokens int
	MaxTokens    int
}

// Timing is what happened to one request in Simulate. Times are from the
// start of the simulation; the zero value of a time field means the event
// did not happen (see Status).
type Timing struct {
	// Status is the HTTP status the server would answer: 200 served,
	// 400 the request cannot fit (prompt+max tokens above MaxModelLen or the
	// KV budget, or counts below 1), 429 waiting queue full, 500 injected
	// error, 503 during the cold start.
	Status     int
	Arrival    time.Duration
	Admitted   time.Duration // left the waiting queue and started prefill
	FirstToken time.Duration
	End        time.Duration // last token
	// OutputTokens is the number of tokens generated.
	OutputTokens int
	// TokenTimes holds the time of every output token; TokenTimes[0] is
	// FirstToken and the last one is End.
	TokenTimes []time.Duration
}

// TTFT returns the time to first token of a served request.
func (t Timing) TTFT() time.Duration { return t.FirstToken - t.Arrival }

// E2E returns the end-to-end latency of a served request.
func (t Timing) E2E() time.Duration { return t.End - t.Arrival }

// TPOT returns the time per output token after the first, (e2e - ttft) /
// (output tokens - 1), and false when there is only one token.
func (t Timing) TPOT() (time.Duration, bool) {
	if t.OutputTokens < 2 {
		return 0, false
	}
	return (t.End - t.FirstToken) / time.Duration(t.OutputTokens-1), true
}

// Simulate runs the engine model of cfg on reqs in virtual time and returns
// one Timing per request, in the order of reqs. It never sleeps: a
// 60-second run at saturation takes milliseconds to a few hundred
// milliseconds of CPU. Requests arriving at the same time are offered in
// the order of reqs. The same cfg (including Seed) and reqs give the same
// result. LeakMBPerMinute has no effect here.
func Simulate(cfg Config, reqs []Request) ([]Timing, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	order := make([]int, len(reqs))
	total := 0
	for i, r := range reqs {
		if r.Arrival < 0 {
			return nil, errNegativeArrival(i, r.Arrival)
		}
		order[i] = i
		total += max(r.MaxTokens, 0)
	}
	sortByArrival(order, func(i int) time.Duration { return reqs[i].Arrival })
	e := newEngine(cfg)
	e.recordTimes = true
	seqs := make([]seq, len(reqs))
	out := make([]Timing, len(reqs))
	backing := make([]time.Duration, 0, total)
	for _, i := range order {
		r := reqs[i]
		e.advance(r.Arrival)
		out[i].Arrival = r.Arrival
		if r.PromptTokens < 1 || r.MaxTokens < 1 || r.PromptTokens+r.MaxTokens > cfg.MaxModelLen || !e.fits(r.PromptTokens, r.MaxTokens) {
			out[i].Status = http.StatusBadRequest
			continue
		}
		s := &seqs[i]
		s.prompt, s.maxTokens = r.PromptTokens, r.MaxTokens
		// Each request's token times share one backing array.
		s.times = backing[len(backing) : len(backing) : len(backing)+r.MaxTokens]
		backing = backing[:len(backing)+r.MaxTokens]
		out[i].Status = e.arrive(r.Arrival, s)
	}
	e.advance(math.MaxInt64)
	for i := range out {
		s := &seqs[i]
		if out[i].Status != http.StatusOK {
			continue
		}
		out[i].Admitted = s.admitted
		out[i].FirstToken = s.first
		out[i].End = s.end
		out[i].OutputTokens = s.produced
		out[i].TokenTimes = s.times
	}
	return out, nil
}

func errNegativeArrival(i int, t time.Duration) error {
	return fmt.Errorf("sim: request %d arrives at a negative time %v", i, t)
}

// sortByArrival sorts request indices by arrival time, keeping the given
// order among equal times.
func sortByArrival(order []int, arrival func(int) time.Duration) {
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(arrival(a), arrival(b))
	})
}

// SaturationRPS returns the saturation throughput of cfg in requests per
// second for requests of promptTokens prompt tokens that generate maxTokens
// tokens: the highest arrival rate the engine sustains, above which the
// waiting queue grows without bound.
//
// It is a calibration in virtual time, exact for the step model: a backlog
// of requests is offered at time zero with an unbounded queue, so the engine
// runs at its largest batch, and the throughput (output tokens / maxTokens
// per second) is measured between the completion of the first and the last
// 20% of them. The noise of cfg
// (including its Seed, hence its per-instance shift) applies, so the figure
// is that deployment's; use cfg.NoNoise() for the nominal figure. ErrorRate
// and ColdStart are ignored. It returns 0 when such a request cannot run
// (does not fit MaxModelLen or the KV budget) or cfg is invalid.
func SaturationRPS(cfg Config, promptTokens, maxTokens int) float64 {
	cfg.ErrorRate = 0
	cfg.ColdStart = 0
	if cfg.Validate() != nil || promptTokens < 1 || maxTokens < 1 ||
		promptTokens+maxTokens > cfg.MaxModelLen || promptTokens+maxTokens > cfg.effKV() {
		return 0
	}
	batch := min(cfg.effSlots(), cfg.effKV()/(promptTokens+maxTokens))
	// At least 40 generations of full batches and, when the noise is on, 60 s
	// of model time, so that the environment factor averages out.
	n := max(40*batch, 500)
	rate, span := saturationRun(cfg, promptTokens, maxTokens, n)
	const minSpan = 60 * time.Second
	if rate > 0 && span < minSpan && (cfg.Noise.Env > 0 || cfg.Noise.SharedEnv > 0 || cfg.StallRate > 0) {
		n = min(int(float64(n)*minSpan.Seconds()/span.Seconds())+1, 1_000_000)
		rate, _ = saturationRun(cfg, promptTokens, maxTokens, n)
	}
	return rate
}

// saturationRun offers n identical requests at time zero and returns the
// throughput while the engine is full, and the time the engine was busy.
// The throughput is counted in tokens, not completions: completions come in
// bursts (requests admitted together finish together), tokens come at every
// step, so a window that is not a whole number of bursts does not bias it.
func saturationRun(cfg Config, promptTokens, maxTokens, n int) (rate float64, span time.Duration) {
	cfg.MaxQueue = n
	reqs := make([]Request, n)
	for i := range reqs {
		reqs[i] = Request{PromptTokens: promptTokens, MaxTokens: maxTokens}
	}
	out, err := Simulate(cfg, reqs)
	if err != nil {
		return 0, 0
	}
	ends := make([]time.Duration, 0, n)
	for _, t := range out {
		if t.Status == http.StatusOK {
			ends = append(ends, t.End)
		}
	}
	slices.Sort(ends)
	// From the first 20% of completions to the last 20%, the queue is never
	// empty, so the engine runs its largest batch.
	from, to := ends[len(ends)/5], ends[len(ends)-len(ends)/5-1]
	if to <= from {
		return 0, 0
	}
	tokens := 0
	for _, t := range out {
		for _, at := range t.TokenTimes {
			if at > from && at <= to {
				tokens++
			}
		}
	}
	return float64(tokens) / float64(maxTokens) / (to - from).Seconds(), ends[len(ends)-1]
}
