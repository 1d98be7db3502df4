package gate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/stats"
)

func TestLearnCalibration(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	aa := calibration(rng, 6, 0.01)
	for _, r := range aa[:3] {
		withCapacity(r, 100*math.Exp(rng.NormFloat64()*0.02))
		withCapacity(r.Reference, 100)
	}
	unpaired := fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400)
	rules := Rules{Gate: []string{"e2e.p50", "e2e.p95", "capacity", "ttft.p95"}}
	cal := LearnCalibration(map[string][]*baseline.Record{"steady": append(aa, unpaired, nil)}, rules)
	if got := len(cal["steady"]); got != len(aa) {
		t.Fatalf("%d calibration runs, want %d: records without a reference arm are skipped", got, len(aa))
	}
	if _, err := NewCalibrationRun(unpaired, rules); err == nil {
		t.Error("NewCalibrationRun accepted a record without a reference arm")
	}
	for _, tc := range []struct {
		name string
		n    int
	}{{"e2e.p50", 6}, {"e2e.p95", 6}, {"capacity", 3}, {"ttft.p95", 0}, {"requests_per_s", 0}} {
		if a := aaStatsOf(cal["steady"], tc.name, rules); a.n != tc.n {
			t.Errorf("%s: learned from %d runs, want %d", tc.name, a.n, tc.n)
		}
	}
	// τ² is learned on the estimator the check uses: trimmed means of the
	// window log-ratios of a tail percentile.
	var sums []stats.PairedSummary
	for _, r := range aa {
		cs, _ := seriesOf(r, "e2e", "p95")
		bs, _ := seriesOf(r.Reference, "e2e", "p95")
		d, _, err := pairedDiffs(cs, bs, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := stats.SummarizeTrimmed(d, TailTrim)
		sums = append(sums, s)
	}
	want, _, _ := stats.TauSquared(sums)
	if got := aaStatsOf(cal["steady"], "e2e.p95", rules); math.Abs(got.tau2-want) > 1e-15 || got.total <= 0 {
		t.Errorf("τ² %v, want %v (total %v)", got.tau2, want, got.total)
	}
	if a := aaStatsOf(nil, "e2e.p50", Rules{PriorTau: 0.03}); a.n != 0 || math.Abs(a.prior2-0.0009) > 1e-15 {
		t.Errorf("no calibration: %+v, want the rules' prior", a)
	}
}

// TestCalibrationCapacityWindows: a capacity A/A summary has the spread
// of the check's own estimate over capacityWindows pseudo-windows.
func TestCalibrationCapacityWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	r := pairedRun(rng, 0, 0)
	withCapacity(r, 90)
	withCapacity(r.Reference, 100)
	sum, ok := aaSummary(r, "capacity")
	se := math.Hypot(capacitySE(r.Capacity), capacitySE(r.Reference.Capacity))
	if !ok || sum.W != capacityWindows || math.Abs(sum.Mean-math.Log(0.9)) > 1e-12 || math.Abs(sum.SD/math.Sqrt(float64(sum.W))-se) > 1e-12 {
		t.Errorf("capacity summary %+v, want mean ln 0.9 and SE %v", sum, se)
	}
}

// TestTotalForALongerRun: the A/A spread's within-run share shrinks with a
// longer run, τ̂² does not.
func TestTotalForALongerRun(t *testing.T) {
	a := aaStats{tau2: 0.0001, total: 0.0005, windows: 12, n: 10}
	if got := a.totalFor(12); math.Abs(got-0.0005) > 1e-15 {
		t.Errorf("same length: %v", got)
	}
	if got, want := a.totalFor(36), 0.0001+0.0004/3; math.Abs(got-want) > 1e-15 {
		t.Errorf("three times as long: %v, want %v", got, want)
	}
	if got := (aaStats{tau2: 0.001, total: 0.0005, windows: 12}).totalFor(36); got != 0.0005 {
		t.Errorf("τ̂² above the spread: %v, want the spread", got)
	}
}
