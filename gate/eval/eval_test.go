package eval

import (
	"math"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/gate"
)

// guardConfig is a small evaluation on deployments of one hardware type
// (per-deployment shift 0.01) with a pool just large enough for N_AA = 10.
func guardConfig() Config {
	cfg := DefaultConfig()
	cfg.Sim.Noise.Shift = 0.01
	cfg.Pool = 10
	cfg.Seed = 7
	return cfg
}

// TestGuardPaired runs a few paired trials: A/A trials must not fail, and
// a calibrated +20% in e2e.p50 must fail it in most.
func TestGuardPaired(t *testing.T) {
	b, err := NewBench(guardConfig())
	if err != nil {
		t.Fatal(err)
	}
	in, err := b.Calibrate("e2e.p50", 0.20)
	if err != nil {
		t.Fatal(err)
	}
	if in.Knob != KnobSlowdown || math.Abs(in.Realised-0.20) > 0.005 || !(in.Value > 1 && in.Value < 1.2) {
		t.Fatalf("calibrated +20%% e2e.p50: %+v", in)
	}
	const n = 4
	fails := 0
	for i := range n {
		tr, err := b.newTrial(i, []string{ModePaired})
		if err != nil {
			t.Fatal(err)
		}
		aa, err := tr.run(Injection{})
		if err != nil {
			t.Fatal(err)
		}
		if len(aa.Paired) != 1 || aa.Paired[0].Outcome == gate.Fail || aa.History != nil {
			t.Fatalf("A/A trial %d: %+v", i, aa)
		}
		if len(aa.Paired[0].Checks) != len(Gate) {
			t.Errorf("A/A trial %d judged %d checks, want the %d gating checks: %+v", i, len(aa.Paired[0].Checks), len(Gate), aa.Paired[0].Checks)
		}
		reg, err := tr.run(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range reg.Paired[0].Checks {
			if c.Name == "e2e.p50" && c.Verdict == gate.Fail {
				fails++
			}
		}
	}
	if fails < n-1 {
		t.Errorf("+20%% e2e.p50 failed in %d of %d trials, want at least %d", fails, n, n-1)
	}
}

// TestResultWindows checks the conversion of timings into windows: warm-up
// excluded, every request in the window of its arrival, rejections counted
// as 4xx errors in the saturation scenario.
func TestResultWindows(t *testing.T) {
	b, err := NewBench(guardConfig())
	if err != nil {
		t.Fatal(err)
	}
	wl := b.cfg.Workload
	for _, scen := range []string{ScenarioSteady, ScenarioSaturation} {
		rec, err := b.runScenario(b.deploy(roleBase, 0, Injection{}), scen, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Windows) != 12 {
			t.Fatalf("%s: %d windows, want 12", scen, len(rec.Windows))
		}
		rps := b.steadyRPS
		if scen == ScenarioSaturation {
			rps = b.overloadRPS
		}
		var sent, failed int64
		for _, w := range rec.Windows {
			sent += w.Sent
			failed += w.Failed
		}
		if want := rps * wl.Duration.Seconds(); math.Abs(float64(sent)-want) > 2 {
			t.Errorf("%s: %d requests in the measured windows, want %.0f", scen, sent, want)
		}
		switch scen {
		case ScenarioSteady:
			if failed != 0 || rec.Metrics["e2e"] == nil || rec.Metrics["requests_per_s"] != nil {
				t.Errorf("steady: %d failed, metrics %v", failed, keys(rec.Metrics))
			}
		case ScenarioSaturation:
			thr := rec.Metrics["requests_per_s"].Pooled.Stats["value"]
			if failed == 0 || math.Abs(thr/b.saturationRPS-1) > 0.1 || rec.Metrics["e2e"] != nil {
				t.Errorf("saturation: %d failed, %.1f req/s served of %.1f nominal, metrics %v", failed, thr, b.saturationRPS, keys(rec.Metrics))
			}
		}
	}
}

func keys[V any](m map[string]V) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return strings.Join(out, ",")
}

// TestTrialJudgesEveryNAA: one trial is judged once per N_AA and history
// length, on the same simulated arms; N_AA = 0 is uncalibrated and says so.
func TestTrialJudgesEveryNAA(t *testing.T) {
	cfg := guardConfig()
	cfg.NAA, cfg.History = []int{0, 10}, []int{3, 10}
	b, err := NewBench(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := b.Trial(Injection{}, 0, []string{ModePaired, ModeHistory})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Paired) != 2 || len(tr.History) != 2 {
		t.Fatalf("%d paired and %d history verdicts, want 2 and 2", len(tr.Paired), len(tr.History))
	}
	uncal := func(v *gate.Verdict) bool {
		for _, c := range v.Checks {
			if strings.Contains(strings.Join(c.Warnings, " "), "not calibrated") {
				return true
			}
		}
		return false
	}
	if !uncal(tr.Paired[0]) || uncal(tr.Paired[1]) {
		t.Errorf("only the N_AA = 0 verdict should rest on the prior")
	}
	for _, bad := range [][]int{{-1}, {11}, nil} {
		c := guardConfig()
		c.NAA = bad
		if _, err := NewBench(c); err == nil {
			t.Errorf("N_AA %v accepted", bad)
		}
	}
}

// TestLooksInTheEvaluation: with Extend an uncalibrated A/A trial, which
// cannot rule out +10%, is judged at every look up to the limit, on records
// that grow by a measured duration a look, at the α its last look left.
func TestLooksInTheEvaluation(t *testing.T) {
	cfg := guardConfig()
	cfg.NAA, cfg.Extend = []int{0}, cfg.Workload.Duration
	b, err := NewBench(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if looks := b.looks(); len(looks) != 2 || looks[1] != 2*cfg.Workload.Duration {
		t.Fatalf("looks %v", looks)
	}
	tr, err := b.newTrial(0, []string{ModePaired})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.base) != 2 || len(tr.base[1][0].Windows) != 2*len(tr.base[0][0].Windows) {
		t.Fatalf("baseline arm at the looks: %d looks", len(tr.base))
	}
	aa, err := tr.run(Injection{})
	if err != nil {
		t.Fatal(err)
	}
	v := aa.Paired[0]
	if v.Outcome == gate.Fail || len(v.Looks) != 1 || len(v.Looks[0].At) != 2 {
		t.Fatalf("A/A: %s, looks %+v", v.Outcome, v.Looks)
	}
	if want := gate.LookAlpha(gate.DefaultAlpha, 0.5, 1); math.Abs(v.Looks[0].Alpha-want) > 1e-12 {
		t.Errorf("last look α %v, want %v", v.Looks[0].Alpha, want)
	}
	r := tabulate(ModePaired, 0, Injection{}, RunLevel, []TrialResult{aa})
	if r.MeanLooks != 2 {
		t.Errorf("mean looks %v, want 2", r.MeanLooks)
	}
}
