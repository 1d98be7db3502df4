package gate

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
)

// TestUncalibratedPairedAAFailsRarely: without A/A records, paired runs of
// the same code on two deployments whose speeds differ as a 3% shift does
// through queueing (τ ≈ 0.07 between them, the evaluation's figure) must
// not FAIL more often than the confidence level promises. The old prior
// (τ = 0.02) failed about one run in six here.
func TestUncalibratedPairedAAFailsRarely(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	const runs = 200
	fails := 0
	for range runs {
		v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{pairedRun(rng, 0, 0.05)}})
		if v.Outcome == Fail {
			fails++
		}
	}
	if fails > 2 {
		t.Errorf("%d of %d uncalibrated A/A runs failed, want at most 1%%", fails, runs)
	}
}

// TestUncalibratedStillSeesLargeChanges: the prior costs power, not all
// of it: a doubling fails without calibration, and the check says what it
// assumed.
func TestUncalibratedStillSeesLargeChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{pairedRun(rng, 1.0, 0.005)}})
	c := findCheck(t, v, "e2e.p50", KindRegression)
	if c.Verdict != Fail {
		t.Fatalf("+100%% without calibration: %+v", c)
	}
	if !strings.Contains(strings.Join(c.Warnings, "\n"), "not calibrated: assumed") {
		t.Errorf("the assumption is not stated: %v", c.Warnings)
	}
}

// TestPolicyPriorTau: a policy's regression.prior_tau replaces the default
// prior, and the check names it as the policy's assumption.
func TestPolicyPriorTau(t *testing.T) {
	rules := gateRules
	rules.PriorTau = 0.02
	rng := rand.New(rand.NewPCG(45, 46))
	run := pairedRun(rng, 0.3, 0.005)
	c := findCheck(t, Evaluate(Input{Rules: rules, Runs: []*baseline.Record{run}}), "e2e.p50", KindRegression)
	w := strings.Join(c.Warnings, "\n")
	if !strings.Contains(w, "τ = 0.020, the policy's regression.prior_tau") || c.Verdict != Fail {
		t.Errorf("+30%% with prior_tau 2%%: %s, warnings %v", c.Verdict, c.Warnings)
	}
	d := findCheck(t, Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{run}}), "e2e.p50", KindRegression)
	if strings.Contains(strings.Join(d.Warnings, "\n"), "regression.prior_tau") || d.MDE <= c.MDE {
		t.Errorf("default prior: MDE %v (policy's: %v), warnings %v", d.MDE, c.MDE, d.Warnings)
	}
}
