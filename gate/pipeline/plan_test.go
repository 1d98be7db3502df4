package pipeline

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
)

const planPolicy = `name: "plan-test"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "m"}
workload: prompts: {input_tokens: 32, output_tokens: 16}
scenarios: steady: {rate: 80, warmup: "5s", duration: "60s", window: "5s"}
regression: gate: ["e2e.p50", "error_rate"]
`

// storedRecord is a record of the plan-test policy with 12 windows of
// e2e.p50 around base with per-window noise sd (log scale).
func storedRecord(rng *rand.Rand, kind string, when time.Time, base, sd float64) *baseline.Record {
	rec := &baseline.Record{Schema: baseline.Schema, Kind: kind, Policy: "plan-test", Scenario: "steady", Branch: "main",
		Commit: "c0ffee", Time: when, MetricDefs: metric.DefsVersion, WindowSeconds: 5, Valid: true, Offered: 80, Achieved: 80,
		Metrics: map[string]*baseline.Metric{}}
	e2e := &baseline.Metric{Unit: "ms"}
	var sum float64
	for w := 0; w < 12; w++ {
		v := base * math.Exp(sd*rng.NormFloat64())
		e2e.Windows = append(e2e.Windows, baseline.WindowStats{Count: 400, Stats: map[string]float64{"p50": v}})
		rec.Windows = append(rec.Windows, baseline.WindowCounts{Start: float64(5 * w), End: float64(5 * (w + 1)), Sent: 400, Succeeded: 400})
		sum += v
	}
	e2e.Pooled = baseline.WindowStats{Count: 4800, Stats: map[string]float64{"p50": sum / 12}}
	rec.Metrics["e2e"] = e2e
	return rec
}

func TestPlanFromADirectoryStore(t *testing.T) {
	p := parse(t, planPolicy)
	ctx := context.Background()
	st, err := baseline.NewDirStore(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(31, 32))
	now := time.Now().UTC()
	for i := 0; i < 8; i++ {
		when := now.Add(-time.Duration(i+2) * 24 * time.Hour)
		aa := storedRecord(rng, baseline.KindCalibration, when, 100*math.Exp(0.01*rng.NormFloat64()), 0.03)
		aa.Reference = storedRecord(rng, baseline.KindCalibration, when, 100*math.Exp(0.01*rng.NormFloat64()), 0.03)
		run := storedRecord(rng, baseline.KindRun, when.Add(time.Hour), 100*math.Exp(0.04*rng.NormFloat64()), 0.03)
		for _, r := range []*baseline.Record{aa, run} {
			if _, err := st.Save(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		baselineURL, mode, within string
		want                      []string
	}{
		{"http://main.example", gate.ModePaired, "8 A/A records", []string{"paired, 12 windows of 5s at 80.0 req/s; τ learned from 8 A/A records, newest 2 days old, oldest 9 days", "learned, 8 A/A"}},
		{"", gate.ModeHistory, "8 stored runs", []string{"against 8 stored runs", "runs spread", "a live baseline (paired mode) removes"}},
	} {
		pl, err := Plan(ctx, p, Options{Store: st, BaselineURL: tc.baselineURL})
		if err != nil {
			t.Fatal(err)
		}
		sp := pl.Scenarios[0]
		if len(pl.Scenarios) != 1 || sp.Mode != tc.mode || len(sp.Checks) != 1 || sp.Checks[0].Within != tc.within || !(sp.Checks[0].MDE > 0) {
			t.Fatalf("%s plan %+v", tc.mode, sp)
		}
		var out bytes.Buffer
		WritePlan(&out, pl)
		t.Log("\n" + out.String())
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s plan lacks %q:\n%s", tc.mode, w, out.String())
			}
		}
		if tc.mode == gate.ModePaired && (sp.Calibration.Records != 8 || sp.Calibration.PriorUsed) {
			t.Errorf("calibration %+v", sp.Calibration)
		}
	}
}
