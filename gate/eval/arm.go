package eval

import (
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/sim"
)

// Scenario names of the two scenarios every arm runs.
const (
	// ScenarioSteady is the constant-rate scenario below saturation; its
	// record carries the latency metrics.
	ScenarioSteady = "steady"
	// ScenarioSaturation is the overload scenario whose record carries the
	// throughput metric (see Workload.OverloadFactor).
	ScenarioSaturation = "saturation"
)

// Workload is the load of one arm, the same for every arm of a trial.
type Workload struct {
	// PromptMean and PromptSD set the normal distribution of prompt
	// lengths in tokens (rounded, at least 1).
	PromptMean, PromptSD float64
	// OutputTokens is the number of tokens every request generates
	// (max_tokens with ignore_eos).
	OutputTokens int
	// Load is the steady scenario's constant arrival rate as a fraction of
	// the nominal saturation throughput (sim.SaturationRPS without noise).
	Load float64
	// OverloadFactor is the saturation scenario's arrival rate as a multiple
	// of the saturation throughput. With the waiting queue bounded to
	// OverloadQueue, the server accepts only as many requests as it serves,
	// so the successful requests per second of a window measure the
	// server's throughput (the rest is answered 429).
	OverloadFactor float64
	OverloadQueue  int
	// Warmup is excluded from the record; Duration is measured in windows
	// of Window.
	Warmup, Duration, Window time.Duration
}

// DefaultWorkload returns the workload of the evaluation: prompts of 256 ± 64
// tokens, 64 output tokens, 50% of saturation, the saturation scenario at
// 150% with a queue of 64, 10 s warm-up and 60 s measured in 5 s windows.
func DefaultWorkload() Workload {
	return Workload{
		PromptMean:     256,
		PromptSD:       64,
		OutputTokens:   64,
		Load:           0.5,
		OverloadFactor: 1.5,
		OverloadQueue:  64,
		Warmup:         10 * time.Second,
		Duration:       60 * time.Second,
		Window:         5 * time.Second,
	}
}

// saturation returns the nominal saturation throughput of base for wl.
func (wl Workload) saturation(base sim.Config) float64 {
	return sim.SaturationRPS(base.NoNoise(), int(math.Round(wl.PromptMean)), wl.OutputTokens)
}

// plan returns the load plan of a scenario: a constant arrival rate of rps
// over the warm-up and the measured duration, in windows of Window.
func (wl Workload) plan(scenario string, rps float64) load.Plan {
	return load.Plan{
		Scenario: scenario,
		Pacer:    load.ConstantPacer{Rate: rps, Duration: wl.Warmup + wl.Duration},
		Warmup:   wl.Warmup,
		Duration: wl.Duration,
		Window:   wl.Window,
	}
}

// schedule returns the requests of plan p, each due when p's pacer says,
// with prompt lengths drawn from seed.
func (wl Workload) schedule(p load.Plan, seed uint64) []sim.Request {
	rng := rand.New(rand.NewPCG(seed, 0x5c4ed))
	var reqs []sim.Request
	if c, ok := p.Pacer.(load.ConstantPacer); ok {
		reqs = make([]sim.Request, 0, int(c.Rate*c.Duration.Seconds())+1)
	}
	for n := uint64(0); ; n++ {
		at, stop := p.Pacer.Pace(0, n)
		if stop {
			break
		}
		prompt := max(1, int(math.Round(wl.PromptMean+wl.PromptSD*rng.NormFloat64())))
		reqs = append(reqs, sim.Request{Arrival: at, PromptTokens: prompt, MaxTokens: wl.OutputTokens})
	}
	return reqs
}

// arm runs one scenario of one deployment in virtual time and turns it into
// a record as a real run would: load.Summarize of the result, keeping the
// metrics of the gating set that the scenario measures (see judged).
func (wl Workload) arm(cfg sim.Config, p load.Plan, reqs []sim.Request) (*baseline.Record, error) {
	res, err := wl.result(cfg, p, reqs)
	if err != nil {
		return nil, err
	}
	return load.Summarize(res, load.RunMeta{Policy: "eval", Time: time.Unix(0, 0), Keep: judged(p.Scenario)})
}

// armLooks is arm for a run of p that is looked at after each measured
// length in looks (the last is p.Duration): one simulation, and at each
// look a record of the requests due before it, as a run that went on
// would have measured them by then.
func (wl Workload) armLooks(cfg sim.Config, p load.Plan, reqs []sim.Request, looks []time.Duration) ([]*baseline.Record, error) {
	timings, err := wl.simulate(cfg, p, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]*baseline.Record, len(looks))
	for k, d := range looks {
		pk := p
		pk.Duration = d
		n := 0
		for n < len(reqs) && reqs[n].Arrival < pk.Warmup+d {
			n++
		}
		res, err := record(pk, reqs[:n], timings[:n])
		if err != nil {
			return nil, err
		}
		if out[k], err = load.Summarize(res, load.RunMeta{Policy: "eval", Time: time.Unix(0, 0), Keep: judged(p.Scenario)}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// simulate runs reqs on deployment cfg (the saturation scenario with its
// bounded queue).
func (wl Workload) simulate(cfg sim.Config, p load.Plan, reqs []sim.Request) ([]sim.Timing, error) {
	if p.Scenario == ScenarioSaturation {
		cfg.MaxQueue = wl.OverloadQueue
	}
	return sim.Simulate(cfg, reqs)
}

// result simulates reqs on deployment cfg and feeds every request's timing
// to the load engine's Recorder as a Sample, so the evaluation measures with
// the definitions and validity rules of a real run.
func (wl Workload) result(cfg sim.Config, p load.Plan, reqs []sim.Request) (*load.Result, error) {
	timings, err := wl.simulate(cfg, p, reqs)
	if err != nil {
		return nil, err
	}
	return record(p, reqs, timings)
}

// record feeds the timings of reqs to a Recorder of plan p.
func record(p load.Plan, reqs []sim.Request, timings []sim.Timing) (*load.Result, error) {
	r, err := load.NewRecorder(p)
	if err != nil {
		return nil, err
	}
	var itl []time.Duration
	for i, t := range timings {
		s := sample(reqs[i], t, itl[:0])
		if s.ITL != nil {
			itl = s.ITL // keep the grown buffer
		}
		r.Add(s)
	}
	res := r.Finish()
	res.Target, res.Started = "sim", time.Unix(0, 0)
	return res, nil
}

// sample is what a client of the simulated server measures of request q
// answered as t. The simulator has no client side: a request leaves at
// its arrival, and a served one streams one token per chunk, with
// ignore_eos (so it must bring q.MaxTokens tokens). itl is reused for the
// gaps between chunks.
func sample(q sim.Request, t sim.Timing, itl []time.Duration) load.Sample {
	s := load.Sample{Intended: q.Arrival, Sent: q.Arrival, Done: max(t.End, q.Arrival), First: -1, Tokens: -1, Want: q.MaxTokens}
	if t.Status != http.StatusOK {
		s.Class, s.Status = load.ErrHTTP5xx, t.Status
		if t.Status < 500 {
			s.Class = load.ErrHTTP4xx
		}
		return s
	}
	s.First, s.Tokens = t.FirstToken, t.OutputTokens
	for j := 1; j < len(t.TokenTimes); j++ {
		itl = append(itl, t.TokenTimes[j]-t.TokenTimes[j-1])
	}
	s.ITL = itl
	return s
}

// judged returns which metrics a scenario's record keeps: those of the
// gating set it is built to move, so that each gating check is judged once,
// on the scenario that measures it. Throughput is fixed by the schedule in
// the steady scenario, and latency is mostly queueing in the saturation
// scenario.
func judged(scenario string) func(string) bool {
	keep := map[string]bool{}
	for _, check := range Gate {
		name, _ := metric.SplitName(check)
		if metric.HigherIsBetter(name) == (scenario == ScenarioSaturation) {
			keep[name] = true
		}
	}
	return func(name string) bool { return keep[name] }
}
