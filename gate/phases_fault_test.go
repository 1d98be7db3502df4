package gate

import (
	"math"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/baseline"
)

// faulted is a record of 1-second windows with a fault from 10 s to 15 s
// during which the p95 latency is 400 ms instead of 100 ms, back to 100 ms
// from window back on, with 5 failures per window during the fault.
func faulted(back int) *baseline.Record {
	p95 := func(i int) float64 {
		switch {
		case i >= 10 && i < back:
			return 400
		}
		return 100
	}
	errs := func(i int) int64 {
		if i >= 10 && i < 15 {
			return 5
		}
		return 0
	}
	rec := timeline(30, p95, func(int) float64 { return 1e9 }, errs)
	rec.WindowSeconds = 1
	rec.Faults = []baseline.FaultPhase{{Name: "db", StartSeconds: 10, StopSeconds: 15, Started: true, Stopped: true, Tolerance: 0.1}}
	return rec
}

func TestFaultPhasesAndRecovery(t *testing.T) {
	rec := faulted(18)
	ds := disturbancesOf(rec)
	var labels []string
	for _, w := range rec.Windows[8:17] {
		labels = append(labels, phaseOf(w, ds))
	}
	if got := strings.Join(labels, " "); got != "before before during during during during during after after" {
		t.Errorf("phases of windows 8-16: %s", got)
	}
	during := phaseView(rec, PhaseDuring)
	if during == nil || len(during.Windows) != 5 {
		t.Fatalf("during view: %+v", during)
	}
	if f, n := during.ErrorCounts(); f != 25 || n != 525 {
		t.Errorf("during: %d of %d failed, want 25 of 525", f, n)
	}
	if v := during.Metrics["e2e"].Pooled.Stats["p95"]; v != 0 {
		t.Logf("pooled p95 without histograms: %v", v)
	}
	if ms, never, ok := recoveryValue(rec); !ok || never || math.Abs(ms-3000) > 1e-9 {
		t.Errorf("recovery %v ms (never %v, ok %v), want 3000", ms, never, ok)
	}
	if _, never, _ := recoveryValue(faulted(40)); !never {
		t.Error("a service that stays slow: want never recovered")
	}
	cs := faultChecks(rec, Rules{}.withDefaults())
	if c := checkNamed(cs, "fault.db.e2e.p95"); c == nil || math.Abs(c.Change-3) > 1e-9 || !(c.CILow > 2) {
		t.Errorf("degradation: %+v", c)
	}
	if c := checkNamed(cs, "fault.db.recovery"); c == nil || c.Candidate != 3000 {
		t.Errorf("recovery check: %+v", c)
	}
}

func TestFaultSLOsAndGates(t *testing.T) {
	rules := Rules{Gate: []string{"recovery", "during.error_rate"}}.withDefaults()
	slos := []SLO{
		{Name: "during.error_rate", Metric: "during.error_rate", Stat: "value", Op: "<", Limit: 0.05, Unit: "ratio", Text: "< 5%"},
		{Name: "recovery", Metric: "recovery", Stat: "value", Op: "<", Limit: 2000, Unit: "ms", Text: "< 2s"},
		{Name: "before.error_rate", Metric: "before.error_rate", Stat: "value", Op: "<", Limit: 0.001, Unit: "ratio", Text: "< 0.1%"},
	}
	cand := faulted(20) // recovers 5 s after the fault
	v := Evaluate(Input{Rules: rules, SLOs: slos, Runs: []*baseline.Record{cand},
		History: map[string][]*baseline.Record{"s": {faulted(16), faulted(16), faulted(17)}}})
	want := map[string]Outcome{"during.error_rate/slo": Pass, "recovery/slo": Fail, "before.error_rate/slo": Pass, "recovery/regression": Fail}
	for _, c := range v.Checks {
		if w, ok := want[c.Name+"/"+c.Kind]; ok {
			if c.Verdict != w {
				t.Errorf("%s (%s): %s, want %s: %s", c.Name, c.Kind, c.Verdict, w, c.Reason)
			}
			delete(want, c.Name+"/"+c.Kind)
		}
	}
	for k := range want {
		t.Errorf("no check %s", k)
	}
	// The same recovery as the baselines, to within one window, passes.
	v = Evaluate(Input{Rules: rules, Runs: []*baseline.Record{faulted(17)},
		History: map[string][]*baseline.Record{"s": {faulted(16), faulted(16)}}})
	if c := checkNamed(v.Checks, "recovery"); c == nil || c.Verdict != Pass || c.Mode != ModeHistory {
		t.Errorf("recovery within one window of the history: %+v", c)
	}
	// A scenario without faults has no phase checks.
	plain := timeline(10, func(int) float64 { return 100 }, func(int) float64 { return 1 }, func(int) int64 { return 0 })
	v = Evaluate(Input{Rules: rules, SLOs: slos, Runs: []*baseline.Record{plain}})
	for _, c := range v.Checks {
		if strings.HasPrefix(c.Name, "during.") || c.Name == "recovery" {
			t.Errorf("check %s on a scenario without faults", c.Name)
		}
	}
}

func TestScaleUp(t *testing.T) {
	rec := timeline(20, func(i int) float64 {
		if i >= 5 && i < 12 {
			return 300
		}
		return 100
	}, func(int) float64 { return 1 }, func(int) int64 { return 0 })
	rec.WindowSeconds = 1
	rec.ScenarioKind = "spike"
	rec.Spike = &baseline.Spike{AtSeconds: 5, HoldSeconds: 10, Factor: 4}
	reps := &baseline.Metric{}
	for i := range 20 {
		n := 1.0
		if i >= 9 {
			n = 2
		}
		reps.Windows = append(reps.Windows, baseline.WindowStats{Count: 1, Stats: map[string]float64{"max": n, "mean": n}})
	}
	rec.Metrics[replicasMetric] = reps
	s, ok := scaleUpOf(rec)
	if !ok || !s.rose || s.seconds != 4 || s.before != 1 || s.peak != 2 {
		t.Fatalf("scale-up %+v (ok %v), want 4 s from 1 to 2", s, ok)
	}
	c := autoscaleSLO(rec, SLO{Name: "scale_up", Metric: "scale_up", Op: "<", Limit: 3000, Text: "< 3s"})
	if c.Verdict != Fail || c.Candidate != 4000 {
		t.Errorf("scale_up SLO: %+v", c)
	}
	if c := autoscaleChecks(rec); len(c) != 1 || !strings.Contains(c[0].Reason, "replicas rose from 1 to 2") {
		t.Errorf("autoscale check: %+v", c)
	}
}

// TestPhaseViewMergesHistograms: a phase's pooled percentiles come from
// the merged histograms of its windows, and a paired record's reference
// arm gets its own view, so a during.* gate compares the two arms' fault
// windows.
func TestPhaseViewMergesHistograms(t *testing.T) {
	mk := func(slow float64) *baseline.Record {
		rec := &baseline.Record{Scenario: "s", WindowSeconds: 1, Metrics: map[string]*baseline.Metric{}, Valid: true}
		e2e := &baseline.Metric{Unit: "ms"}
		for i := range 12 {
			ms := 100.0
			if i >= 4 && i < 8 {
				ms = slow
			}
			h := hdrhistogram.New(1, 3_600_000_000, 3)
			for k := range 200 {
				h.RecordValue(int64((ms + float64(k%10)) * 1000))
			}
			enc, err := baseline.EncodeHist(h)
			if err != nil {
				t.Fatal(err)
			}
			rec.Windows = append(rec.Windows, baseline.WindowCounts{Start: float64(i), End: float64(i + 1), Succeeded: 200, Sent: 200})
			e2e.Windows = append(e2e.Windows, baseline.WindowStats{Count: 200, Hist: enc, Stats: map[string]float64{"p95": ms + 9}})
		}
		rec.Metrics["e2e"] = e2e
		rec.Faults = []baseline.FaultPhase{{Name: "f", StartSeconds: 4, StopSeconds: 8, Started: true, Stopped: true, Tolerance: 0.1}}
		return rec
	}
	cand, ref := mk(400), mk(200)
	cand.Reference = ref
	v := phaseView(cand, PhaseDuring)
	if v == nil || v.Reference == nil {
		t.Fatal("no view")
	}
	if got := v.Metrics["e2e"].Pooled.Stats["p50"]; math.Abs(got-404) > 1 {
		t.Errorf("during p50 %.1f ms, want about 404", got)
	}
	if got := v.Reference.Metrics["e2e"].Pooled.Stats["p50"]; math.Abs(got-204) > 1 {
		t.Errorf("reference during p50 %.1f ms, want about 204", got)
	}
	vr := Evaluate(Input{Rules: Rules{Gate: []string{"during.e2e.p50", "before.e2e.p50"}}, Runs: []*baseline.Record{cand}})
	if c := checkNamed(vr.Checks, "during.e2e.p50"); c == nil || c.Mode != ModePaired || c.Verdict != Fail || c.Metric != "during.e2e" {
		t.Errorf("during gate: %+v", c)
	}
	if c := checkNamed(vr.Checks, "before.e2e.p50"); c == nil || c.Mode != ModePaired || c.Verdict == Fail {
		t.Errorf("before gate: %+v", c)
	}
}
