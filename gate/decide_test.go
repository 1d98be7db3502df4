package gate

import (
	"math"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/gate/stats"
)

// withP returns a log-scale estimate whose p-value of a worsening beyond
// the negligible change is p.
func withP(p float64) *logChange {
	const se, df = 0.01, 1000
	return testThresholds.estimate(stats.Estimate{Effect: testThresholds.neg + stats.TQuantile(df, 1-p)*se, SE: se, DF: df})
}

func TestDecide(t *testing.T) {
	const alpha = 0.05
	strict := withP(0.001)
	confirmed := withP(0.001)
	confirmed.wilcoxonP, confirmed.wilcoxonN = 0.01, 12
	unconfirmed := withP(0.001)
	unconfirmed.wilcoxonP, unconfirmed.wilcoxonN = 0.5, 12
	// Four windows: the exact test's smallest p is 1/16 > 0.05, so it
	// cannot confirm anything and must not stand in the way (a +34% TPOT
	// regression over a 20-s run was WARN because of it).
	powerless := withP(0.001)
	powerless.wilcoxonP, powerless.wilcoxonN = 0.0625, 4
	for _, tc := range []struct {
		name   string
		ests   []estimate // nil: not judgeable
		want   []Outcome
		reason string // in the reason of the last check
	}{
		{"clear regression fails", []estimate{strict}, []Outcome{Fail}, "above the 3% this policy tolerates"},
		{"no change passes", []estimate{testThresholds.estimate(stats.Estimate{Effect: 0, SE: 0.01, DF: 30})}, []Outcome{Pass}, "within the 10% material change"},
		{"wide interval warns", []estimate{testThresholds.estimate(stats.Estimate{Effect: 0.05, SE: 0.1, DF: 30})}, []Outcome{Warn}, "inconclusive"},
		// Holm: the smaller p (0.04) misses alpha/2, so the step-down stops
		// and the second (0.045 < alpha) may not fail either.
		{"Holm stops the step-down", []estimate{withP(0.04), withP(0.045)}, []Outcome{Pass, Warn}, "not significant after the Holm correction"},
		{"both significant", []estimate{withP(0.001), withP(0.02)}, []Outcome{Fail, Fail}, "above the 3% this policy tolerates"},
		{"signed-rank confirms", []estimate{confirmed}, []Outcome{Fail}, "above the 3% this policy tolerates"},
		{"signed-rank does not confirm", []estimate{unconfirmed}, []Outcome{Warn}, "signed-rank cross-check does not confirm"},
		{"signed-rank too small to confirm", []estimate{powerless}, []Outcome{Fail}, "above the 3% this policy tolerates"},
		{"proportion fails", []estimate{&proportionDiff{failed: [2]int{50, 0}, total: [2]int{1000, 1000}, neg: 0.001, mat: 0.01}}, []Outcome{Fail}, "at least"},
		{"proportion passes", []estimate{&proportionDiff{failed: [2]int{0, 0}, total: [2]int{5000, 5000}, neg: 0.001, mat: 0.01}}, []Outcome{Pass}, "at most"},
		{"not judgeable is left alone", []estimate{nil, strict}, []Outcome{"", Fail}, "above the 3% this policy tolerates"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var regs []*regression
			for _, e := range tc.ests {
				regs = append(regs, &regression{check: Check{Name: "x.p50", Gating: true}, est: e})
			}
			decide(regs, alpha)
			for i, r := range regs {
				if r.check.Verdict != tc.want[i] {
					t.Errorf("check %d: %s (%s), want %s", i, r.check.Verdict, r.check.Reason, tc.want[i])
				}
			}
			if last := regs[len(regs)-1].check; !strings.Contains(last.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", last.Reason, tc.reason)
			}
		})
	}
}

// TestDecideProportionBonferroni: an error proportion is judged at
// alpha/m over all m judgeable checks, outside Holm's step-down.
func TestDecideProportionBonferroni(t *testing.T) {
	prop := &regression{check: Check{Name: "error_rate"}, est: &proportionDiff{failed: [2]int{5, 5}, total: [2]int{1000, 1000}, neg: 0.001, mat: 0.01}}
	regs := []*regression{{check: Check{Name: "e2e.p50"}, est: withP(0.5)}, {check: Check{Name: "ttft.p95"}}, prop}
	decide(regs, 0.05)
	if got := prop.check.Confidence; math.Abs(got-(1-0.05/2)) > 1e-12 {
		t.Errorf("error_rate confidence %v, want %v (two judgeable checks)", got, 1-0.05/2)
	}
	if regs[1].check.Verdict != "" {
		t.Errorf("a check without an estimate was judged: %+v", regs[1].check)
	}
}
