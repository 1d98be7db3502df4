package eval

import (
	"fmt"
	"math"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/sim"
)

// Gate is the gating set judged together in every trial, so that Holm's
// correction applies as it does in production.
var Gate = []string{"e2e.p50", "e2e.p95", "ttft.p95", "tpot.p50", "requests_per_s"}

// Knob names of sim.Config.
const (
	KnobSlowdown       = "Slowdown"
	KnobTTFTSlowdown   = "TTFTSlowdown"
	KnobDecodeSlowdown = "DecodeSlowdown"
	KnobCapacity       = "Capacity"
)

// KnobFor returns the simulator knob that injects a regression into the
// gating check name.
func KnobFor(check string) string {
	switch check {
	case "ttft.p95":
		return KnobTTFTSlowdown
	case "tpot.p50":
		return KnobDecodeSlowdown
	case "requests_per_s":
		return KnobCapacity
	}
	return KnobSlowdown
}

// scenarioOf returns the scenario whose record carries check.
func scenarioOf(check string) string {
	if check == "requests_per_s" {
		return ScenarioSaturation
	}
	return ScenarioSteady
}

// knobValue maps u >= 0 to the knob's value: 1+u for the slowdowns,
// 1/(1+u) for Capacity; u = 0 is no change.
func knobValue(knob string, u float64) float64 {
	if knob == KnobCapacity {
		return 1 / (1 + u)
	}
	return 1 + u
}

// withKnob returns cfg with knob multiplied by v: relative to the
// deployment's own setting (1 by default; eval --scale makes the server
// faster through Slowdown).
func withKnob(cfg sim.Config, knob string, v float64) sim.Config {
	mul := func(x *float64) {
		if *x <= 0 {
			*x = 1
		}
		*x *= v
	}
	switch knob {
	case KnobSlowdown:
		mul(&cfg.Slowdown)
	case KnobTTFTSlowdown:
		mul(&cfg.TTFTSlowdown)
	case KnobDecodeSlowdown:
		mul(&cfg.DecodeSlowdown)
	case KnobCapacity:
		mul(&cfg.Capacity)
	}
	return cfg
}

// Injection is a regression of a given size in one gating check, injected
// into the candidate through the check's knob. The zero Injection is A/A.
type Injection struct {
	// Check is the gating check the injection targets; empty for A/A.
	Check string
	// Size is the intended relative worsening (0.10: 10% slower, or 1/1.1
	// of the throughput).
	Size float64
	// Knob and Value are the simulator knob and the value set on the
	// candidate, found by Calibrate so that the realised change is Size.
	Knob  string
	Value float64
	// Realised is the relative worsening of Check that Value gives without
	// noise, on one deployment at the trial load.
	Realised float64
}

// Name returns "A/A" or the injection's size and target.
func (in Injection) Name() string {
	if in.Check == "" {
		return "A/A"
	}
	return fmt.Sprintf("+%g%% %s", 100*in.Size, in.Check)
}

// KnobText describes the knob setting, such as "Slowdown=1.104".
func (in Injection) KnobText() string {
	if in.Check == "" {
		return "none"
	}
	return fmt.Sprintf("%s=%.4g", in.Knob, in.Value)
}

// apply returns cfg with the injection applied.
func (in Injection) apply(cfg sim.Config) sim.Config {
	if in.Check == "" {
		return cfg
	}
	return withKnob(cfg, in.Knob, in.Value)
}

// nominal returns the noise-free deployment used to check the knobs.
func (b *Bench) nominal() sim.Config {
	c := b.cfg.Sim.NoNoise()
	c.Seed = 1
	return c
}

// Realised returns the relative worsening of check when its knob is set to
// v on one noise-free deployment at the trial load and schedule:
// candidate/baseline − 1 of the pooled statistic for latencies,
// baseline/candidate − 1 for throughput.
func (b *Bench) Realised(check, knob string, v float64) (float64, error) {
	scen := scenarioOf(check)
	base, err := b.nominalRecord(scen)
	if err != nil {
		return 0, err
	}
	cand, err := b.runScenario(withKnob(b.nominal(), knob, v), scen, b.cfg.Seed)
	if err != nil {
		return 0, err
	}
	name, stat := metric.SplitName(check)
	x, y := pooledStat(cand, name, stat), pooledStat(base, name, stat)
	if !(x > 0 && y > 0) {
		return 0, fmt.Errorf("eval: %s not measured without noise", check)
	}
	if metric.HigherIsBetter(name) {
		return y/x - 1, nil
	}
	return x/y - 1, nil
}

func (b *Bench) nominalRecord(scen string) (*baseline.Record, error) {
	b.nomMu.Lock()
	defer b.nomMu.Unlock()
	if r, ok := b.nom[scen]; ok {
		return r, nil
	}
	r, err := b.runScenario(b.nominal(), scen, b.cfg.Seed)
	if err != nil {
		return nil, err
	}
	b.nom[scen] = r
	return r, nil
}

func pooledStat(rec *baseline.Record, metric, stat string) float64 {
	m, ok := rec.Metrics[metric]
	if !ok {
		return math.NaN()
	}
	v, ok := m.Pooled.Stats[stat]
	if !ok {
		return math.NaN()
	}
	return v
}

// Calibrate finds the value of check's knob whose realised worsening of
// check, without noise, is size: queueing amplifies a slowdown, and a
// smaller batch costs less than its share of throughput because the step
// time shrinks with it. Capacity moves in whole slots, so its realised
// change is the closest one reachable.
func (b *Bench) Calibrate(check string, size float64) (Injection, error) {
	in := Injection{Check: check, Size: size, Knob: KnobFor(check)}
	f := func(u float64) (float64, error) { return b.Realised(check, in.Knob, knobValue(in.Knob, u)) }
	lo, hi := 0.0, size
	rhi, err := f(hi)
	if err != nil {
		return in, err
	}
	for i := 0; rhi < size; i++ {
		if i == 8 {
			return in, fmt.Errorf("eval: %s cannot reach %+.0f%% through %s", check, 100*size, in.Knob)
		}
		lo, hi = hi, 2*hi
		if rhi, err = f(hi); err != nil {
			return in, err
		}
	}
	rlo := 0.0
	if lo > 0 {
		if rlo, err = f(lo); err != nil {
			return in, err
		}
	}
	for range 14 {
		mid := (lo + hi) / 2
		r, err := f(mid)
		if err != nil {
			return in, err
		}
		if r < size {
			lo, rlo = mid, r
		} else {
			hi, rhi = mid, r
		}
	}
	u, r := hi, rhi
	if size-rlo < rhi-size {
		u, r = lo, rlo
	}
	in.Value, in.Realised = knobValue(in.Knob, u), r
	return in, nil
}

// KnobCheck is the realised worsening of a check when its knob is set to
// the nominal +10% (1.10, or Capacity 1/1.10) without noise.
type KnobCheck struct {
	Check, Knob string
	Value       float64
	Realised    float64
}

// CheckKnobs sets each gating check's knob to the nominal +10% and reports
// the realised change of the check.
func (b *Bench) CheckKnobs() ([]KnobCheck, error) {
	var out []KnobCheck
	for _, c := range Gate {
		k := KnobFor(c)
		v := knobValue(k, 0.10)
		r, err := b.Realised(c, k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, KnobCheck{Check: c, Knob: k, Value: v, Realised: r})
	}
	return out, nil
}
