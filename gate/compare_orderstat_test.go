package gate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/load"
)

// lowRateArm records one arm of a 60-s run at 1.5 req/s through the load
// engine's recorder: e2e drawn lognormal around median·speed, and the
// slowest share tail of requests slowed by factor.
func lowRateArm(t *testing.T, rng *rand.Rand, speed, tail, factor float64) *baseline.Record {
	return armAt(t, rng, 1.5, speed, tail, factor, -1)
}

// armAt is lowRateArm at rate req/s, with every request sent in window
// stall (a 5-s window; -1: none) delayed by two seconds, as an engine
// stall in one arm does.
func armAt(t *testing.T, rng *rand.Rand, rate, speed, tail, factor float64, stall int) *baseline.Record {
	t.Helper()
	p := load.Plan{Scenario: "steady", Pacer: load.ConstantPacer{Rate: rate, Duration: 60 * time.Second}, Duration: 60 * time.Second, Window: 5 * time.Second}
	r, err := load.NewRecorder(p)
	if err != nil {
		t.Fatal(err)
	}
	for n := uint64(0); ; n++ {
		at, stop := p.Pacer.Pace(0, n)
		if stop {
			break
		}
		e2e := 1.2 * speed * math.Exp(0.35*rng.NormFloat64())
		if rng.Float64() < tail {
			e2e *= factor
		}
		if int(at/(5*time.Second)) == stall {
			e2e += 2
		}
		ttft := 0.15 * e2e
		d := time.Duration(e2e * float64(time.Second))
		first := time.Duration(ttft * float64(time.Second))
		r.Add(load.Sample{Intended: at, Sent: at, Done: at + d, First: at + first, Tokens: 64, Want: 64, ITL: []time.Duration{(d - first) / 63}})
	}
	rec, err := load.Summarize(r.Finish(), load.RunMeta{Policy: "p", Time: time.Unix(0, 0), Keep: func(m string) bool { return m == "e2e" || m == "ttft" || m == "tpot" }})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

var lowRateRules = Rules{Gate: []string{"e2e.p50", "e2e.p95", "ttft.p95", "tpot.p50", "error_rate"}}

// TestFewSamplesStillSeeLargeTailChange: 90 requests an arm are too few
// for a precise p95, but a candidate whose slowest 30% take ten times as
// long (p95 about 10×) must FAIL, through distribution-free bounds.
func TestFewSamplesStillSeeLargeTailChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	base := lowRateArm(t, rng, 1, 0, 1)
	cand := lowRateArm(t, rng, 1, 0.3, 10)
	cand.Reference = base
	v := Evaluate(Input{Rules: lowRateRules, Runs: []*baseline.Record{cand}})
	c := findCheck(t, v, "e2e.p95", KindRegression)
	if v.Outcome != Fail || c.Verdict != Fail || !c.Gating || c.Samples != 90 || !(c.CILow > 0.5) {
		t.Fatalf("p95 ×10 at 90 samples: run %s, check %+v", v.Outcome, c)
	}
	t.Log(c.Reason)
	if !strings.Contains(c.Reason, "distribution-free") {
		t.Errorf("reason does not say how it was bounded: %s", c.Reason)
	}
}

// TestFewSamplesAANeverFails: the same low-rate runs of unchanged code on
// two deployments (each 5% slower or faster through queueing) do not
// FAIL on the wide bounds, and stay informational.
func TestFewSamplesAANeverFails(t *testing.T) {
	rng := rand.New(rand.NewPCG(49, 50))
	for i := range 20 {
		base := lowRateArm(t, rng, math.Exp(0.085*rng.NormFloat64()), 0, 1)
		cand := lowRateArm(t, rng, math.Exp(0.085*rng.NormFloat64()), 0, 1)
		cand.Reference = base
		v := Evaluate(Input{Rules: lowRateRules, Runs: []*baseline.Record{cand}})
		for _, name := range []string{"e2e.p95", "ttft.p95"} {
			if c := findCheck(t, v, name, KindRegression); c.Verdict == Fail || c.Gating {
				t.Fatalf("A/A run %d: %+v", i, c)
			}
		}
	}
}

// TestPooledTailStallInOneArmDoesNotFail: with 5 A/A records that saw no
// stall, a run whose candidate arm stalled in one window must not FAIL on
// its pooled p95: the run's own jackknife, which sees the stalled window,
// bounds the error from below (it used to be the A/A spread alone).
func TestPooledTailStallInOneArmDoesNotFail(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	var aa []*baseline.Record
	for range 5 {
		r := armAt(t, rng, 10, 1, 0, 1, -1)
		r.Reference = armAt(t, rng, 10, 1, 0, 1, -1)
		r.Kind = baseline.KindCalibration
		aa = append(aa, r)
	}
	rules := Rules{Gate: []string{"e2e.p95"}}
	cal := LearnCalibration(map[string][]*baseline.Record{"steady": aa}, rules)
	run := armAt(t, rng, 10, 1, 0, 1, 4)
	run.Reference = armAt(t, rng, 10, 1, 0, 1, -1)
	c := findCheck(t, Evaluate(Input{Rules: rules, Runs: []*baseline.Record{run}, Calibration: cal}), "e2e.p95", KindRegression)
	if c.Verdict == Fail || !strings.Contains(strings.Join(c.Warnings, " "), "pooled over windows") {
		t.Errorf("one stalled window failed the pooled p95: %+v", c)
	}
}
