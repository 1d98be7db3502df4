package gate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/stats"
)

func TestSpreadOfKeepsTheSpread(t *testing.T) {
	for w := 2; w <= 24; w++ {
		for _, trim := range []float64{0, TailTrim} {
			pr, err := stats.Paired(stats.PairedInput{D: spreadOf(0.07, w, trim), Trim: trim})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(pr.SD-0.07) > 1e-12 || math.Abs(pr.Effect) > 1e-12 {
				t.Errorf("w=%d trim=%v: mean %v sd %v, want 0 and 0.07", w, trim, pr.Effect, pr.SD)
			}
		}
	}
}

// TestPredictedMDEMatchesTheGate: the plan predicts, from the stored A/A
// runs alone, the MDE the gate then reports for runs like them.
func TestPredictedMDEMatchesTheGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	rules := Rules{Gate: []string{"e2e.p50", "e2e.p95", "requests_per_s"}}
	cal := LearnCalibration(map[string][]*baseline.Record{"steady": calibration(rng, 10, 0.01)}, rules)
	var got []float64
	var alpha float64
	for i := 0; i < 21; i++ {
		v := Evaluate(Input{Rules: rules, Runs: []*baseline.Record{pairedRun(rng, 0, 0.01)}, Calibration: cal})
		c := findCheck(t, v, "e2e.p50", KindRegression)
		got, alpha = append(got, c.MDE), c.Noise.Alpha
	}
	slices.Sort(got)
	plan := PredictPower(PowerInput{Rules: rules, Scenario: "steady", Windows: 12, WindowSeconds: 5, Rate: 80, Paired: true, Alpha: alpha, Calibration: cal["steady"]})
	if len(plan) != 3 {
		t.Fatalf("plan %+v", plan)
	}
	p := plan[0]
	if p.Name != "e2e.p50" || p.Mode != ModePaired || p.Within != "10 A/A records" || p.Noise.TauSource != TauLearned || p.Noise.AARuns != 10 {
		t.Errorf("plan %+v", p)
	}
	t.Logf("predicted MDE %.4f; the gate's over 21 runs: min %.4f median %.4f max %.4f", p.MDE, got[0], got[len(got)/2], got[len(got)-1])
	if median := got[len(got)/2]; math.Abs(p.MDE/median-1) > 0.25 {
		t.Errorf("predicted MDE %.4f, the gate's median %.4f over 21 runs", p.MDE, median)
	}
}

func TestPredictedMDEWithoutStore(t *testing.T) {
	rules := Rules{Gate: []string{"e2e.p95", "error_rate"}}
	plan := PredictPower(PowerInput{Rules: rules, Windows: 12, WindowSeconds: 5, Rate: 8, Paired: true})
	if len(plan) != 1 || plan[0].Noise.TauSource != TauPrior || plan[0].Within != "" || plan[0].Noise.WithinSE != 0 {
		t.Fatalf("plan %+v: want the prior's share only", plan)
	}
	// τ's share alone, at the tail prior: ln(1.03) + (t(5) + z)·τ, the
	// prior's heavy tails (stats.TailDF) its degrees of freedom.
	want := MDE(PriorTauFor("e2e.p95"), stats.TailDF, 0.05, 0.03)
	if math.Abs(plan[0].MDE-want) > 1e-9 {
		t.Errorf("MDE %v, want %v", plan[0].MDE, want)
	}
	plan = PredictPower(PowerInput{Rules: rules, Windows: 12, WindowSeconds: 5, Rate: 8})
	if plan[0].Mode != ModeNone || plan[0].MDE != 0 || plan[0].Note == "" {
		t.Errorf("no baseline: %+v", plan[0])
	}
	plan = PredictPower(PowerInput{Rules: Rules{Gate: []string{"e2e.p99"}}, Windows: 12, WindowSeconds: 5, Rate: 1, Paired: true})
	if plan[0].MDE != 0 || plan[0].Note == "" {
		t.Errorf("60 samples for a p99: %+v", plan[0])
	}
}

func TestPredictedMDEHistory(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	rules := Rules{Gate: []string{"e2e.p50"}}
	var hist []*baseline.Record
	for i := 0; i < 8; i++ {
		hist = append(hist, fakeRecord(rng, "steady", 12, 100*math.Exp(0.03*rng.NormFloat64()), 0, 0.02, 400))
	}
	v := Evaluate(Input{Rules: rules, Runs: []*baseline.Record{fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400)}, History: map[string][]*baseline.Record{"steady": hist}})
	c := findCheck(t, v, "e2e.p50", KindRegression)
	plan := PredictPower(PowerInput{Rules: rules, Windows: 12, WindowSeconds: 5, Rate: 80, History: hist, Alpha: c.Noise.Alpha})
	t.Logf("history: predicted MDE %.4f, the gate's %.4f", plan[0].MDE, c.MDE)
	if plan[0].Mode != ModeHistory || plan[0].Noise.HistoryRuns != 8 || math.Abs(plan[0].MDE/c.MDE-1) > 0.25 {
		t.Errorf("plan %+v, the gate's MDE %v", plan[0], c.MDE)
	}
}
