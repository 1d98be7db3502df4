package gate

import (
	"math/rand/v2"
	"testing"

	"github.com/perfgate/perfgate/baseline"
)

// TestCleanErrorRateOf300IsNotWarn: 0 errors in 300 requests against 0 in
// 300 is a clean run, not a warning (docs/statistics.md, Error rates).
func TestCleanErrorRateOf300IsNotWarn(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	rec := fakeRecord(rng, "steady", 12, 100, 0, 0.02, 25)
	rec.Reference = fakeRecord(rng, "steady", 12, 100, 0, 0.02, 25)
	rules := Rules{Gate: []string{"e2e.p50", "e2e.p95", "ttft.p95", "tpot.p50", "error_rate"}}
	v := Evaluate(Input{Rules: rules, Runs: []*baseline.Record{rec}})
	c := findCheck(t, v, "error_rate", KindRegression)
	if c.Samples != 300 || c.Verdict != Pass {
		t.Errorf("0 of 300 vs 0 of 300: %s (%s)", c.Verdict, c.Reason)
	}
	// 100 requests a side cannot rule out +1 point: still inconclusive.
	small := fakeRecord(rng, "steady", 4, 100, 0, 0.02, 25)
	small.Reference = fakeRecord(rng, "steady", 4, 100, 0, 0.02, 25)
	if c := findCheck(t, Evaluate(Input{Rules: rules, Runs: []*baseline.Record{small}}), "error_rate", KindRegression); c.Verdict != Warn {
		t.Errorf("0 of 100 vs 0 of 100: %s (%s)", c.Verdict, c.Reason)
	}
}
