package eval

import (
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/load"
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

// schedule returns a constant-rate schedule at rps over warm-up plus
// duration, with prompt lengths drawn from seed.
func (wl Workload) schedule(rps float64, seed uint64) []sim.Request {
	rng := rand.New(rand.NewPCG(seed, 0x5c4ed))
	span := wl.Warmup + wl.Duration
	n := int(rps * span.Seconds())
	reqs := make([]sim.Request, 0, n)
	for i := 0; ; i++ {
		at := time.Duration(float64(i) / rps * float64(time.Second))
		if at >= span {
			break
		}
		p := max(1, int(math.Round(wl.PromptMean+wl.PromptSD*rng.NormFloat64())))
		reqs = append(reqs, sim.Request{Arrival: at, PromptTokens: p, MaxTokens: wl.OutputTokens})
	}
	return reqs
}

// arm runs one scenario of one deployment in virtual time and summarises it
// into a record through gate.Summarize, as a real run would be.
func (wl Workload) arm(cfg sim.Config, scenario string, reqs []sim.Request, rps float64) (*baseline.Record, error) {
	if scenario == ScenarioSaturation {
		cfg.MaxQueue = wl.OverloadQueue
	}
	timings, err := sim.Simulate(cfg, reqs)
	if err != nil {
		return nil, err
	}
	res := wl.result(scenario, reqs, timings, rps)
	rec, err := gate.Summarize(res, gate.RunMeta{Policy: "eval", Time: time.Unix(0, 0)})
	if err != nil {
		return nil, err
	}
	keepGated(rec)
	return rec, nil
}

// keepGated removes from rec the metrics its scenario is not built to move,
// so that each gating check is judged once, on the scenario that measures
// it: throughput is fixed by the schedule in the steady scenario, and
// latency is mostly queueing in the saturation scenario.
func keepGated(rec *baseline.Record) {
	for name := range rec.Metrics {
		throughput := name == "requests_per_s" || name == "output_tokens_per_s" || name == "goodput"
		if (rec.Scenario == ScenarioSteady) == throughput {
			delete(rec.Metrics, name)
		}
	}
}

// result turns the timings of a schedule into the load engine's result: a
// request belongs to the window of its intended send time; latencies are
// from the intended send time, in microseconds. The saturation scenario
// is judged on its counts only, so its latency histograms, which would be
// queueing time, are not recorded; "service" is not recorded either, as the
// simulator has no client-side queueing and it would equal e2e.
func (wl Workload) result(scenario string, reqs []sim.Request, timings []sim.Timing, rps float64) *load.Result {
	nw := int(wl.Duration / wl.Window)
	res := &load.Result{
		Scenario: scenario,
		Target:   "sim",
		Started:  time.Unix(0, 0),
		Window:   wl.Window,
		Warmup:   load.NewWindow(-1, -wl.Warmup, 0),
		Offered:  rps,
		Validity: load.Validity{KeptUp: true, AchievedRatio: 1},
	}
	for i := range nw {
		res.Windows = append(res.Windows, load.NewWindow(i, time.Duration(i)*wl.Window, time.Duration(i+1)*wl.Window))
	}
	var sent int64
	for i, t := range timings {
		at := reqs[i].Arrival - wl.Warmup
		w := res.Warmup
		if at >= 0 {
			k := int(at / wl.Window)
			if k >= nw {
				continue
			}
			w = res.Windows[k]
			sent++
		}
		w.Sent++
		if t.Status != http.StatusOK {
			w.Failed++
			class := load.ErrHTTP5xx
			if t.Status < 500 {
				class = load.ErrHTTP4xx
			}
			w.Errors[class]++
			w.Status[t.Status]++
			continue
		}
		if res.ColdStart == 0 || t.End < res.ColdStart {
			res.ColdStart = t.End
		}
		w.Succeeded++
		w.Good++
		w.OutputTokens += int64(t.OutputTokens)
		if t.OutputTokens != reqs[i].MaxTokens {
			w.LengthMismatch++
		}
		if scenario == ScenarioSaturation {
			continue
		}
		w.Record(load.MetricE2E, micros(t.E2E()))
		w.Record(load.MetricTTFT, micros(t.TTFT()))
		if tpot, ok := t.TPOT(); ok {
			w.Record(load.MetricTPOT, micros(tpot))
		}
		for j := 1; j < len(t.TokenTimes); j++ {
			w.Record(load.MetricITL, micros(t.TokenTimes[j]-t.TokenTimes[j-1]))
		}
		w.Record(load.MetricOutputTokens, int64(t.OutputTokens))
	}
	res.Achieved = float64(sent) / wl.Duration.Seconds()
	return res
}

func micros(d time.Duration) int64 { return int64(d / time.Microsecond) }
