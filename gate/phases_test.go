package gate

import (
	"math"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
)

// timeline builds a record of 1-second windows whose e2e p95 and
// server.rss_bytes mean follow the given functions of the window index.
func timeline(n int, p95 func(i int) float64, rss func(i int) float64, failed func(i int) int64) *baseline.Record {
	rec := &baseline.Record{Scenario: "s", Metrics: map[string]*baseline.Metric{}, Valid: true}
	e2e := &baseline.Metric{Unit: "ms"}
	mem := &baseline.Metric{Unit: "bytes"}
	for i := 0; i < n; i++ {
		rec.Windows = append(rec.Windows, baseline.WindowCounts{Start: float64(i), End: float64(i + 1), Succeeded: 100, Failed: failed(i)})
		e2e.Windows = append(e2e.Windows, baseline.WindowStats{Count: 100, Stats: map[string]float64{"p95": p95(i), "p50": p95(i) / 2}})
		mem.Windows = append(mem.Windows, baseline.WindowStats{Count: 1, Stats: map[string]float64{"mean": rss(i), "max": rss(i)}})
	}
	rec.Metrics["e2e"] = e2e
	rec.Metrics["server.rss_bytes"] = mem
	return rec
}

func checkNamed(cs []Check, name string) *Check {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func TestSpikeRecovery(t *testing.T) {
	flat := func(int) float64 { return 1e9 }
	// Spike at 10 s for 5 s; latency is 100 ms before, 400 ms during, and
	// decays back to 105 ms at window 18 (3 s after the spike ended).
	p95 := func(i int) float64 {
		switch {
		case i < 10:
			return 100
		case i < 15:
			return 400
		case i < 18:
			return 250
		}
		return 105
	}
	errs := func(i int) int64 {
		if i >= 10 && i < 15 {
			return 5
		}
		return 0
	}
	rec := timeline(30, p95, flat, errs)
	rec.ScenarioKind = "spike"
	rec.Spike = &baseline.Spike{AtSeconds: 10, HoldSeconds: 5, Factor: 4}
	cs := phaseChecks(rec, Rules{}.withDefaults())
	r := checkNamed(cs, "spike.recovery")
	if r == nil || r.Verdict != Pass || math.Abs(r.Candidate-3000) > 1 {
		t.Fatalf("recovery: %+v", r)
	}
	if p := checkNamed(cs, "spike.e2e.p95"); p == nil || p.Candidate != 400 || p.Baseline != 100 {
		t.Errorf("peak: %+v", p)
	}
	if e := checkNamed(cs, "spike.error_rate"); e == nil || math.Abs(e.Candidate-25.0/525) > 1e-9 {
		t.Errorf("error rate during the spike: %+v", e)
	}
	never := timeline(30, func(i int) float64 { return 100 + 50*float64(max(0, i-9)) }, flat, func(int) int64 { return 0 })
	never.ScenarioKind, never.Spike = "spike", rec.Spike
	if r := checkNamed(phaseChecks(never, Rules{}.withDefaults()), "spike.recovery"); r == nil || r.Verdict != Warn || !strings.Contains(r.Reason, "did not come back") {
		t.Errorf("no recovery: %+v", r)
	}
}

func TestSoakLeakDetector(t *testing.T) {
	steady := func(int) float64 { return 100 }
	// RSS grows 0.5% per window: +15% over 30 windows, with a little noise.
	leak := func(i int) float64 { return 1e9 * math.Exp(0.005*float64(i)+0.001*math.Sin(float64(i))) }
	rec := timeline(30, steady, leak, func(int) int64 { return 0 })
	rec.ScenarioKind = "soak"
	cs := phaseChecks(rec, Rules{}.withDefaults())
	c := checkNamed(cs, "server.rss_bytes.mean.trend")
	if c == nil || c.Verdict != Fail || c.Change < 0.12 || c.Change > 0.17 || !strings.Contains(c.Reason, "leak") {
		t.Fatalf("leak: %+v", c)
	}
	if l := checkNamed(cs, "e2e.p50.trend"); l == nil || l.Verdict != Pass {
		t.Errorf("flat latency: %+v", l)
	}
	flat := timeline(30, steady, func(i int) float64 { return 1e9 * (1 + 0.002*math.Sin(float64(i))) }, func(int) int64 { return 0 })
	flat.ScenarioKind = "soak"
	if c := checkNamed(phaseChecks(flat, Rules{}.withDefaults()), "server.rss_bytes.mean.trend"); c == nil || c.Verdict != Pass {
		t.Errorf("flat RSS: %+v", c)
	}
}
