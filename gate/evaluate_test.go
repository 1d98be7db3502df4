package gate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// fakeRecord builds a record whose metric e2e has per-window p50/p95 drawn
// around base·(1+shift) with per-window noise sd (log scale), plus
// requests_per_s windows around rps·(1−shift).
func fakeRecord(rng *rand.Rand, scenario string, windows int, base, shift, sd float64, perWindow int64) *baseline.Record {
	rec := &baseline.Record{
		Schema: baseline.Schema, Kind: baseline.KindRun, Policy: "p", Scenario: scenario,
		Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), MetricDefs: metric.DefsVersion,
		WindowSeconds: 5, Valid: true, Metrics: map[string]*baseline.Metric{},
	}
	e2e := &baseline.Metric{Unit: "ms"}
	rps := &baseline.Metric{Unit: "req/s"}
	var sum95, sum50, sumR float64
	for w := 0; w < windows; w++ {
		n := math.Exp(rng.NormFloat64() * sd)
		p50 := base * (1 + shift) * n
		e2e.Windows = append(e2e.Windows, baseline.WindowStats{Count: perWindow, Stats: map[string]float64{"p50": p50, "p95": 2 * p50}})
		r := 100 * (1 - shift) / n
		rps.Windows = append(rps.Windows, baseline.WindowStats{Count: perWindow, Stats: map[string]float64{"value": r}})
		rec.Windows = append(rec.Windows, baseline.WindowCounts{Start: float64(5 * w), End: float64(5 * (w + 1)), Sent: perWindow, Succeeded: perWindow})
		sum50 += p50
		sum95 += 2 * p50
		sumR += r
	}
	fw := float64(windows)
	e2e.Pooled = baseline.WindowStats{Count: perWindow * int64(windows), Stats: map[string]float64{"p50": sum50 / fw, "p95": sum95 / fw}}
	rps.Pooled = baseline.WindowStats{Count: perWindow * int64(windows), Stats: map[string]float64{"value": sumR / fw}}
	rec.Metrics["e2e"] = e2e
	rec.Metrics["requests_per_s"] = rps
	return rec
}

// pairedRun returns a candidate record with its reference arm; the
// deployment shift of each arm is drawn with sd tau.
func pairedRun(rng *rand.Rand, shift, tau float64) *baseline.Record {
	b := fakeRecord(rng, "steady", 12, 100*math.Exp(rng.NormFloat64()*tau), 0, 0.02, 400)
	c := fakeRecord(rng, "steady", 12, 100*math.Exp(rng.NormFloat64()*tau), shift, 0.02, 400)
	c.Reference = b
	return c
}

func calibration(rng *rand.Rand, n int, tau float64) []*baseline.Record {
	var out []*baseline.Record
	for i := 0; i < n; i++ {
		r := pairedRun(rng, 0, tau)
		r.Kind = baseline.KindCalibration
		out = append(out, r)
	}
	return out
}

func findCheck(t *testing.T, v *Verdict, name, kind string) Check {
	t.Helper()
	for _, c := range v.Checks {
		if c.Name == name && c.Kind == kind {
			return c
		}
	}
	t.Fatalf("no %s check %s in %+v", kind, name, v.Checks)
	return Check{}
}

var gateRules = Rules{Gate: []string{"e2e.p50", "e2e.p95", "requests_per_s"}}

func TestPairedUnchangedPasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cal := calibration(rng, 10, 0.005)
	fails, passes := 0, 0
	for i := 0; i < 50; i++ {
		v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{pairedRun(rng, 0, 0.005)}, Calibration: LearnCalibration(map[string][]*baseline.Record{"steady": cal}, gateRules)})
		switch v.Outcome {
		case Fail:
			fails++
		case Pass:
			passes++
		}
	}
	if fails > 0 || passes < 45 {
		t.Errorf("A/A: %d fails, %d passes of 50; want 0 fails and >= 45 passes", fails, passes)
	}
}

func TestPairedRegressionFailsNamingMetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cal := calibration(rng, 10, 0.005)
	v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{pairedRun(rng, 0.20, 0.005)}, Calibration: LearnCalibration(map[string][]*baseline.Record{"steady": cal}, gateRules)})
	if v.Outcome != Fail {
		t.Fatalf("outcome %s, want fail: %s", v.Outcome, v.Reason)
	}
	c := findCheck(t, v, "e2e.p50", KindRegression)
	if c.Verdict != Fail || c.Mode != ModePaired || c.CILow <= 0.03 || c.Change < 0.15 || c.Change > 0.25 {
		t.Errorf("e2e.p50: %+v", c)
	}
	if !strings.Contains(v.Reason, "e2e.p") {
		t.Errorf("reason does not name the metric: %s", v.Reason)
	}
	r := findCheck(t, v, "requests_per_s", KindRegression)
	if r.Verdict != Fail || r.Change > -0.1 || !r.HigherIsBetter {
		t.Errorf("throughput drop not failed with a negative change: %+v", r)
	}
	if c.MDE <= 0.03 || c.MDE > 0.15 {
		t.Errorf("MDE %v out of range", c.MDE)
	}
}

func TestPairedImprovementPasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cal := calibration(rng, 10, 0.005)
	v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{pairedRun(rng, -0.2, 0.005)}, Calibration: LearnCalibration(map[string][]*baseline.Record{"steady": cal}, gateRules)})
	if v.Outcome != Pass {
		t.Fatalf("an improvement gave %s: %s", v.Outcome, v.Reason)
	}
	if r := findCheck(t, v, "requests_per_s", KindRegression); r.Change < 0.15 {
		t.Errorf("throughput change %v, want about +25%%", r.Change)
	}
}

func TestPriorWithoutCalibrationWarns(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{pairedRun(rng, 0, 0.005)}})
	c := findCheck(t, v, "e2e.p50", KindRegression)
	found := false
	for _, w := range c.Warnings {
		if strings.Contains(w, "A/A") {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning about missing A/A runs: %v", c.Warnings)
	}
}

func TestHistoryMode(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var hist []*baseline.Record
	for i := 0; i < 10; i++ {
		hist = append(hist, fakeRecord(rng, "steady", 12, 100*math.Exp(rng.NormFloat64()*0.02), 0, 0.02, 400))
	}
	few := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{fakeRecord(rng, "steady", 12, 100, 0.5, 0.02, 400)}, History: map[string][]*baseline.Record{"steady": hist[:2]}})
	if c := findCheck(t, few, "e2e.p50", KindRegression); c.Gating || c.Verdict != Warn || !strings.Contains(c.Reason, "not judged") {
		t.Errorf("two stored runs must be reported, not judged: %+v", c)
	}
	bad := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{fakeRecord(rng, "steady", 12, 100, 0.5, 0.02, 400)}, History: map[string][]*baseline.Record{"steady": hist}})
	if c := findCheck(t, bad, "e2e.p50", KindRegression); c.Verdict != Fail || c.Mode != ModeHistory || c.History != 10 {
		t.Errorf("+50%% against 10 stored runs: %+v", c)
	}
	same := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400)}, History: map[string][]*baseline.Record{"steady": hist}})
	if same.Outcome == Fail {
		t.Errorf("unchanged run failed in history mode: %s", same.Reason)
	}
}

func TestNoBaselineIsInformational(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400)}})
	if v.Outcome == Fail {
		t.Fatalf("first run failed: %s", v.Reason)
	}
	if c := findCheck(t, v, "e2e.p95", KindRegression); c.Gating || c.Mode != ModeNone {
		t.Errorf("%+v", c)
	}
}

func TestErrorRateProportions(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	rules := Rules{Gate: []string{"error_rate"}}
	c := pairedRun(rng, 0, 0)
	for i := range c.Windows {
		c.Windows[i].Failed = 20 // 20 of 420 per window: ~4.8%
	}
	v := Evaluate(Input{Rules: rules, Runs: []*baseline.Record{c}})
	if ch := findCheck(t, v, "error_rate", KindRegression); ch.Verdict != Fail || ch.Baseline != 0 || ch.CILow <= 0.001 {
		t.Errorf("0%% -> 4.8%% errors: %+v", ch)
	}
	c2 := pairedRun(rng, 0, 0)
	v2 := Evaluate(Input{Rules: rules, Runs: []*baseline.Record{c2}})
	if ch := findCheck(t, v2, "error_rate", KindRegression); ch.Verdict != Pass {
		t.Errorf("no errors on both arms: %+v", ch)
	}
}

func TestInvalidRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	r := pairedRun(rng, 0, 0)
	r.Valid = false
	r.Invalid = []string{"schedule lag p99 40ms > 10ms"}
	v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{r}})
	if v.Outcome != Invalid || !strings.Contains(v.Reason, "schedule lag") {
		t.Errorf("got %s: %s", v.Outcome, v.Reason)
	}
}

func TestSLOChecks(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	rec := fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400) // p95 ≈ 200 ms
	slo := func(stat, op string, limit float64) SLO {
		return SLO{Name: "e2e." + stat, Metric: "e2e", Stat: stat, Op: op, Limit: limit, Text: op + " limit"}
	}
	p95 := rec.Metrics["e2e"].Pooled.Stats["p95"]
	cases := []struct {
		slo  SLO
		want Outcome
	}{
		{slo("p95", "<", 400), Pass},
		{slo("p95", "<", 100), Fail},
		{slo("p95", "<", p95*0.998), Warn}, // breached at the point, within noise
		{slo("p50", ">", 10), Pass},
		{SLO{Name: "error_rate", Metric: "error_rate", Stat: "value", Op: "<", Limit: 0.001, Text: "< 0.1%"}, Pass},
	}
	for _, tc := range cases {
		v := Evaluate(Input{SLOs: []SLO{tc.slo}, Runs: []*baseline.Record{rec}})
		c := findCheck(t, v, tc.slo.Name, KindSLO)
		if c.Verdict != tc.want {
			t.Errorf("%s %s %v: %s (%s), want %s", tc.slo.Name, tc.slo.Op, tc.slo.Limit, c.Verdict, c.Reason, tc.want)
		}
	}
	// Too few samples for p99.9 is informational.
	short := fakeRecord(rng, "steady", 2, 100, 0, 0.02, 50)
	short.Metrics["e2e"].Pooled.Stats["p99.9"] = 300
	v := Evaluate(Input{SLOs: []SLO{slo("p99.9", "<", 250)}, Runs: []*baseline.Record{short}})
	if c := findCheck(t, v, "e2e.p99.9", KindSLO); c.Gating || c.Verdict != Warn || !strings.Contains(c.Reason, "too few") {
		t.Errorf("p99.9 on 100 samples: %+v", c)
	}
}

// TestTailCheckIgnoresOneStalledWindow: one candidate window whose p95
// stalled (x5) does not fail an unchanged e2e.p95, which the plain mean of
// twelve windows would; the p50 (plain mean) is unaffected anyway.
func TestTailCheckIgnoresOneStalledWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cal := calibration(rng, 10, 0.005)
	run := pairedRun(rng, 0, 0.005)
	run.Metrics["e2e"].Windows[4].Stats["p95"] *= 5
	v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{run}, Calibration: LearnCalibration(map[string][]*baseline.Record{"steady": cal}, gateRules)})
	c := findCheck(t, v, "e2e.p95", KindRegression)
	if c.Verdict == Fail || math.Abs(c.Change) > 0.03 || c.Windows != 12 {
		t.Errorf("e2e.p95 with one stalled window: %+v", c)
	}
	// The same regression in every window still fails.
	run = pairedRun(rng, 0.2, 0.005)
	v = Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{run}, Calibration: LearnCalibration(map[string][]*baseline.Record{"steady": cal}, gateRules)})
	if c := findCheck(t, v, "e2e.p95", KindRegression); c.Verdict != Fail {
		t.Errorf("e2e.p95 +20%% in every window: %+v", c)
	}
	if TrimFor("p95") != TailTrim || TrimFor("p99.9") != TailTrim || TrimFor("p50") != 0 || TrimFor("value") != 0 {
		t.Error("TrimFor")
	}
}

// BenchmarkEvaluatePaired is one paired evaluation with a calibration
// built once, as an evaluation's trials share it.
func BenchmarkEvaluatePaired(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	cal := LearnCalibration(map[string][]*baseline.Record{"steady": calibration(rng, 10, 0.005)}, gateRules)
	runs := []*baseline.Record{pairedRun(rng, 0.05, 0.005)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(Input{Rules: gateRules, Runs: runs, Calibration: cal})
	}
}
