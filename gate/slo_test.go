package gate

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// withP90 adds a p90 to the e2e windows and pool of rec (at its p95).
func withP90(rec *baseline.Record) *baseline.Record {
	m := rec.Metrics["e2e"]
	for _, w := range m.Windows {
		w.Stats["p90"] = w.Stats["p95"]
	}
	m.Pooled.Stats["p90"] = m.Pooled.Stats["p95"]
	return rec
}

// TestTailRuleToleratesRounding: 100·(1−0.9) is 9.999… in floating point,
// and a p90 over exactly 100 values has the 10 tail values it needs, as
// metric.EnoughTail says everywhere else.
func TestTailRuleToleratesRounding(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	rec := withP90(fakeRecord(rng, "steady", 10, 100, 0, 0.02, 10)) // 100 values
	slo := SLO{Name: "e2e.p90", Metric: "e2e", Stat: "p90", Op: "<", Limit: 1000, Text: "< 1s"}
	v := Evaluate(Input{SLOs: []SLO{slo}, Runs: []*baseline.Record{rec}})
	if c := findCheck(t, v, "e2e.p90", KindSLO); !c.Gating || c.Verdict != Pass {
		t.Errorf("p90 SLO over 100 values: %+v", c)
	}
	// Windows of exactly 100 values are compared window by window.
	run := pairedRun(rng, 0, 0.005)
	for _, r := range []*baseline.Record{run, run.Reference} {
		withP90(r)
		for i := range r.Metrics["e2e"].Windows {
			r.Metrics["e2e"].Windows[i].Count = 100
		}
	}
	v = Evaluate(Input{Rules: Rules{Gate: []string{"e2e.p90"}}, Runs: []*baseline.Record{run}})
	if c := findCheck(t, v, "e2e.p90", KindRegression); !c.Gating || c.Windows != 12 {
		t.Errorf("e2e.p90 over windows of 100 values: %+v", c)
	}
}

// TestSLOReasonFormatsLikeReports: an SLO's reason prints values as the
// reports' tables do (metric.Format: "2.31 s", "420 ms").
func TestSLOReasonFormatsLikeReports(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	rec := fakeRecord(rng, "steady", 12, 1155, 0, 0.02, 400) // p95 ≈ 2.31 s
	p95 := rec.Metrics["e2e"].Pooled.Stats["p95"]
	v := Evaluate(Input{SLOs: []SLO{{Name: "e2e.p95", Metric: "e2e", Stat: "p95", Op: "<", Limit: 5000, Text: "< 5s"}}, Runs: []*baseline.Record{rec}})
	c := findCheck(t, v, "e2e.p95", KindSLO)
	if want := "e2e.p95 = " + metric.Format(p95, metric.Ms) + " meets < 5s"; c.Reason != want || !strings.HasSuffix(metric.Format(p95, metric.Ms), " s") {
		t.Errorf("reason %q, want %q", c.Reason, want)
	}
}
