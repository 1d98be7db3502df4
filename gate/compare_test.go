package gate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// checkFor returns a regression check of name before any comparator ran.
func checkFor(name string) Check {
	m, stat := metric.SplitName(name)
	return Check{Name: name, Metric: m, Stat: stat, Kind: KindRegression, HigherIsBetter: metric.HigherIsBetter(m), Gating: true}
}

var testThresholds = logThresholds{neg: stats.LogChange(DefaultNegligible), mat: stats.LogChange(DefaultMaterial)}

// withCapacity gives rec a capacity of rps found between rps and 1.05·rps.
func withCapacity(rec *baseline.Record, rps float64) *baseline.Record {
	rec.Capacity = &baseline.Capacity{RPS: rps, Steps: []baseline.CapacityStep{{Rate: rps, Met: true}, {Rate: 1.05 * rps, Met: false}}}
	return rec
}

// withErrors sets failed requests in every window of rec.
func withErrors(rec *baseline.Record, failed int64) *baseline.Record {
	for i := range rec.Windows {
		rec.Windows[i].Failed = failed
	}
	return rec
}

func TestPairedComparator(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	aa := aaStatsOf(LearnCalibration(map[string][]*baseline.Record{"steady": calibration(rng, 10, 0.005)}, gateRules)["steady"], "e2e.p50", Rules{})
	noWindows := pairedRun(rng, 0, 0)
	noWindows.Metrics["e2e"].Windows = noWindows.Metrics["e2e"].Windows[:1]
	for _, tc := range []struct {
		name    string
		check   string
		rec     *baseline.Record
		wantErr string
		effect  float64 // expected effect on the log scale, positive worse
	}{
		{"slower", "e2e.p50", pairedRun(rng, 0.2, 0), "", math.Log(1.2)},
		{"unchanged", "e2e.p95", pairedRun(rng, 0, 0), "", 0},
		{"throughput drop is worse", "requests_per_s", pairedRun(rng, 0.2, 0), "", -math.Log(0.8)},
		{"not measured", "ttft.p95", pairedRun(rng, 0, 0), "metric ttft was not measured", 0},
		{"one window", "e2e.p50", noWindows, "only 1 paired windows", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := checkFor(tc.check)
			p := comparatorFor(&c, ModePaired, tc.rec, nil, aa, Rules{}.withDefaults())
			if _, ok := p.(paired); !ok {
				t.Fatalf("comparator %T, want paired", p)
			}
			est, err := p.compare(&c)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := est.(*logChange)
			if math.Abs(e.Effect-tc.effect) > 0.03 || c.Windows != 12 || c.Unit == "" || !(c.Baseline > 0) {
				t.Errorf("effect %.3f (want %.3f), check %+v", e.Effect, tc.effect, c)
			}
			if math.IsNaN(e.wilcoxonP) {
				t.Error("no signed-rank cross-check")
			}
		})
	}
}

func TestCapacityComparator(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	run := func(cand, ref float64) *baseline.Record {
		r := pairedRun(rng, 0, 0)
		if cand > 0 {
			withCapacity(r, cand)
		}
		if ref > 0 {
			withCapacity(r.Reference, ref)
		}
		return r
	}
	for _, tc := range []struct {
		name      string
		rec       *baseline.Record
		wantErr   bool
		effect    float64
		wantUnits string
	}{
		{"lower capacity is worse", run(80, 100), false, math.Log(100.0 / 80), metric.RPS},
		{"same", run(100, 100), false, 0, metric.RPS},
		{"baseline arm found none", run(100, 0), true, 0, metric.RPS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := checkFor("capacity")
			p := comparatorFor(&c, ModePaired, tc.rec, nil, aaStats{}, Rules{}.withDefaults())
			if _, ok := p.(capacityPaired); !ok {
				t.Fatalf("comparator %T, want capacityPaired", p)
			}
			est, err := p.compare(&c)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if c.Unit != tc.wantUnits {
				t.Errorf("unit %q", c.Unit)
			}
			if err != nil {
				return
			}
			e := est.(*logChange)
			// Both brackets are 5% wide: SE = hypot of two ln(1.05)/√12.
			se := math.Hypot(math.Log(1.05)/math.Sqrt(12), math.Log(1.05)/math.Sqrt(12))
			if math.Abs(e.Effect-tc.effect) > 1e-12 || e.SE < se {
				t.Errorf("estimate %+v, want effect %v and SE >= %v", e.Estimate, tc.effect, se)
			}
		})
	}
}

func TestHistoryComparator(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	stored := func(n int) []*baseline.Record {
		var out []*baseline.Record
		for i := 0; i < n; i++ {
			out = append(out, fakeRecord(rng, "steady", 12, 100*math.Exp(rng.NormFloat64()*0.02), 0, 0.02, 400))
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		check   string
		rec     *baseline.Record
		history []*baseline.Record
		wantErr string
		effect  float64
	}{
		{"slower", "e2e.p50", fakeRecord(rng, "steady", 12, 100, 0.3, 0.02, 400), stored(10), "", math.Log(1.3)},
		{"throughput", "requests_per_s", fakeRecord(rng, "steady", 12, 100, 0.3, 0.02, 400), stored(10), "", -math.Log(0.7)},
		{"too few stored runs", "e2e.p50", fakeRecord(rng, "steady", 12, 100, 0.3, 0.02, 400), stored(2), "reported, not judged", 0},
		{"no stored run measured it", "ttft.p95", fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400), stored(3), "not measured", 0},
		{"capacity", "capacity", withCapacity(fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400), 50),
			[]*baseline.Record{withCapacity(stored(1)[0], 98), withCapacity(stored(1)[0], 100), withCapacity(stored(1)[0], 102), withCapacity(stored(1)[0], 99), withCapacity(stored(1)[0], 101)}, "", math.Log(2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := checkFor(tc.check)
			p := comparatorFor(&c, ModeHistory, tc.rec, tc.history, aaStats{}, Rules{}.withDefaults())
			if _, ok := p.(historyComparator); !ok {
				t.Fatalf("comparator %T, want historyComparator", p)
			}
			est, err := p.compare(&c)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if tc.wantErr == "reported, not judged" && (c.History != 2 || c.Change < 0.2 || c.Confidence != 0.95) {
					t.Errorf("a change against too few runs is still reported: %+v", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := est.(*logChange)
			if math.Abs(e.Effect-tc.effect) > 0.05 || c.History != len(tc.history) {
				t.Errorf("effect %.3f (want %.3f), check %+v", e.Effect, tc.effect, c)
			}
		})
	}
}

func TestProportionComparator(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, tc := range []struct {
		name     string
		mode     string
		rec      *baseline.Record
		history  []*baseline.Record
		wantErr  bool
		want     [2]float64 // candidate and baseline error rates
		wantHist int
	}{
		{"paired", ModePaired, withErrors(pairedRun(rng, 0, 0), 4), nil, false, [2]float64{4.0 / 404, 0}, 0},
		{"history pools the stored runs", ModeHistory, fakeRecord(rng, "s", 12, 100, 0, 0.02, 400),
			[]*baseline.Record{withErrors(fakeRecord(rng, "s", 12, 100, 0, 0.02, 400), 8), fakeRecord(rng, "s", 12, 100, 0, 0.02, 400)}, false, [2]float64{0, 8.0 / 808}, 2},
		{"no baseline", ModeNone, withErrors(fakeRecord(rng, "s", 12, 100, 0, 0.02, 400), 4), nil, true, [2]float64{4.0 / 404, 0}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := checkFor("error_rate")
			p := comparatorFor(&c, tc.mode, tc.rec, tc.history, aaStats{}, Rules{}.withDefaults())
			if _, ok := p.(proportion); !ok {
				t.Fatalf("comparator %T, want proportion", p)
			}
			est, err := p.compare(&c)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if math.Abs(c.Candidate-tc.want[0]) > 1e-12 || math.Abs(c.Baseline-tc.want[1]) > 1e-12 || c.History != tc.wantHist || c.Unit != metric.Ratio {
				t.Errorf("check %+v, want rates %v", c, tc.want)
			}
			if _, inHolm := est.(*proportionDiff); err == nil && !inHolm {
				t.Errorf("estimate %T, want *proportionDiff", est)
			}
		})
	}
}

func TestNoBaselineComparator(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	rec := fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400)
	c := checkFor("e2e.p50")
	p := comparatorFor(&c, modeOf(rec, nil), rec, nil, aaStats{}, Rules{}.withDefaults())
	if _, ok := p.(noBaseline); !ok {
		t.Fatalf("comparator %T, want noBaseline", p)
	}
	if _, err := p.compare(&c); err == nil || !strings.Contains(err.Error(), "no baseline yet") {
		t.Errorf("error %v", err)
	}
	if c.Candidate != rec.Metrics["e2e"].Pooled.Stats["p50"] || c.Unit != metric.Ms {
		t.Errorf("the run's value is still reported: %+v", c)
	}
}

func TestModeOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	alone := fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400)
	for _, tc := range []struct {
		rec     *baseline.Record
		history []*baseline.Record
		want    string
	}{
		{pairedRun(rng, 0, 0), []*baseline.Record{alone}, ModePaired},
		{alone, []*baseline.Record{alone}, ModeHistory},
		{alone, nil, ModeNone},
	} {
		if got := modeOf(tc.rec, tc.history); got != tc.want {
			t.Errorf("modeOf = %s, want %s", got, tc.want)
		}
		v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{tc.rec}, History: map[string][]*baseline.Record{"steady": tc.history}})
		if v.Mode != tc.want {
			t.Errorf("Verdict.Mode = %s, want %s", v.Mode, tc.want)
		}
	}
	if v := Evaluate(Input{Runs: []*baseline.Record{pairedRun(rng, 0, 0)}}); v.Mode != ModeNone {
		t.Errorf("no gating metric: Verdict.Mode = %s, want none", v.Mode)
	}
}
